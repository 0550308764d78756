"""A Bot API server that sends what Telegram never should: updates PTB cannot build, text
that no UTF-8 encoder takes, kinds the bot did not ask for. The real bot process skips each
with one log line and goes on answering."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from botprocess import BotProcess
from conftest import STARTUP_S

from tests.fakebotapi import FakeBotApi

pytestmark = pytest.mark.e2e

ADMIN = 7  # ADMIN_USER_IDS in bot_env


def message(user_id: int, text: str, **changes: object) -> dict[str, object]:
    person = {"id": user_id, "is_bot": False, "first_name": "Mallory"}
    fields = {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": user_id, "type": "private", "first_name": "Mallory"},
        "from": person,
        "text": text,
        **changes,
    }
    return {key: value for key, value in fields.items() if value is not None}


async def test_malformed_updates_are_skipped_once_and_the_bot_answers_on(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    alice, mallory = server.user(1, "Alice"), server.user(2, "Mallory")
    await alice.send("/help")
    await alice.wait_for_message(timeout=STARTUP_S)

    server.push_raw({"update_id": "abc", "message": message(2, "/help")})
    server.push_raw({"message": message(2, "/help", date=None)})
    server.push_raw({"message": message(2, "/start \ud800 lone surrogate")})
    # A business message relays what an admin typed to a customer: not a command to the bot.
    server.push_raw({"business_message": message(ADMIN, "/retrain")})
    for _ in range(3):  # again: still one log line each
        server.push_raw({"message": message(2, "/help", date=None)})

    await alice.send("/help")
    await alice.wait_for_message(lambda m: m is not alice.transcript[1], timeout=10)
    await mallory.wait_for_message(timeout=10)  # the welcome, despite the lone surrogate
    await asyncio.sleep(1)  # a looping getUpdates would now be flooding the log
    log = bot.log()
    assert log.count("malformed message update") == 1
    assert log.count("never asked for") == 1
    assert "Traceback" not in log and len(log) < 100_000
    with sqlite3.connect(bot_env["DATABASE_PATH"]) as conn:
        assert conn.execute("SELECT count(*) FROM training_runs").fetchone() == (0,)
    assert ADMIN not in server.state.chats, "nothing was posted into the business chat"
