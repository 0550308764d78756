"""A token Telegram refuses, at start-up or later while polling, and stop signals: the real bot
process against the fake Bot API. Each ends in one log line that never shows the token."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from botprocess import BotProcess
from conftest import STARTUP_S

from bot.__main__ import EXIT_REJECTED
from tests.fakebotapi import FakeBotApi, Fault

pytestmark = pytest.mark.e2e

OTHER_TOKEN = "987654321:AAOtherTokenTheServerNeverIssued_xyz"


async def exits(process: BotProcess, within: float) -> int:
    assert process.process is not None
    return await asyncio.wait_for(process.process.wait(), within)


def assert_one_line_without(log: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in log, "the token reached the log"
        assert secret.split(":", 1)[1] not in log, "the token's secret half reached the log"
    assert "Traceback" not in log, log[-3000:]


async def answering_bot(server: FakeBotApi, env: dict[str, str], workdir: Path) -> BotProcess:
    """The bot process, once it has answered a /help (so it is up and polling)."""
    process = BotProcess(workdir, env)
    await process.start()
    alice = server.user(1, "Alice")
    await alice.send("/help")
    await alice.wait_for_message(timeout=STARTUP_S)
    return process


@pytest.mark.parametrize("wrong", ["token", "base url path"])
async def test_a_rejected_token_at_start_up_is_one_line_and_exits(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path, wrong: str
) -> None:
    env = dict(bot_env)
    if wrong == "token":  # the server answers 401 Unauthorized
        env["TELEGRAM_BOT_TOKEN"] = OTHER_TOKEN
    else:  # a valid token under a path the server does not serve: 404
        env["TELEGRAM_API_BASE_URL"] = server.base_url.replace("/bot", "/wrong/bot")
    process = BotProcess(tmp_path, env)
    await process.start()
    assert await exits(process, STARTUP_S) == EXIT_REJECTED
    log = process.log()
    assert_one_line_without(log, server.token, OTHER_TOKEN)
    assert "rejected the bot token" in log and "TELEGRAM_API_BASE_URL" in log


async def test_a_token_rejected_while_polling_stops_the_bot_with_one_line(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path
) -> None:
    process = await answering_bot(server, bot_env, tmp_path)
    server.inject("getUpdates", Fault(401, "Unauthorized"))
    # The fault answers the next getUpdates, after the long poll under way (10 s).
    assert await exits(process, 10 + 10) == EXIT_REJECTED
    log = process.log()
    assert_one_line_without(log, server.token)
    assert log.count("answered getUpdates with 401") == 1
    assert "WARNING" not in log.split("answered getUpdates with 401")[1], "one line, not more"


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
async def test_stop_signals_stop_the_bot_within_ten_seconds(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path, sent: signal.Signals
) -> None:
    process = await answering_bot(server, bot_env, tmp_path)
    assert process.process is not None
    process.process.send_signal(sent)
    assert await exits(process, 10) == 0
    assert_one_line_without(process.log(), server.token)
