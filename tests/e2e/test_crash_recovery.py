"""SIGKILL in the middle of a burst of ratings: nothing acknowledged is lost, every update is
handled after the restart, none twice."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

from botprocess import BotProcess
from conftest import STARTUP_S

from bot import callbacks as cb
from tests.fakebotapi import FakeBotApi, FakeMessage
from tests.fakebotapi.records import CallbackQuery

USERS = range(201, 241)


def database(path: str) -> tuple[dict[tuple[int, int], float], Counter[int]]:
    """Ratings by (user, film), and journal rows (one per handled answer) by user."""
    with sqlite3.connect(path) as conn:
        ratings = {
            (u, i): s for u, i, s in conn.execute("SELECT user_id, item_id, stars FROM ratings")
        }
        answers = Counter(
            dict(conn.execute("SELECT user_id, count(*) FROM journal GROUP BY user_id"))
        )
    return ratings, answers


async def test_a_kill_mid_burst_loses_nothing_and_repeats_nothing(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path
) -> None:
    # One update at a time, so that a burst waits on the bot's queue when the kill comes:
    # those updates were taken from Telegram (and confirmed) but not handled yet.
    env = {**bot_env, "CONCURRENT_UPDATES": "1"}
    first = BotProcess(tmp_path, env)
    await first.start()
    cards: dict[int, FakeMessage] = {}
    for uid in USERS:
        user = server.user(uid, f"User{uid}")
        await user.send("/rate")
        timeout = STARTUP_S if not cards else 10
        cards[uid] = await user.wait_for_message(lambda m: "★1" in m.button_texts, timeout=timeout)

    taps: dict[int, tuple[CallbackQuery, int, float]] = {}
    for n, uid in enumerate(USERS):
        stars = float(n % 5 + 1)
        data = cards[uid].button(f"★{int(stars)}")["callback_data"]
        action = cb.parse(data)
        assert isinstance(action, cb.Rate)
        taps[uid] = (server.user(uid).tap(cards[uid], data), action.item_id, stars)

    answered = lambda: [uid for uid, (q, _, _) in taps.items() if q.answer]  # noqa: E731
    await server.wait_until(lambda: len(answered()) >= 5, 20, "the first answers")
    await first.kill()
    acknowledged = {uid: taps[uid] for uid in answered()}
    assert len(acknowledged) < len(taps), "the burst finished before the kill: nothing to test"
    ratings, _ = database(env["DATABASE_PATH"])
    for uid, (query, item, stars) in acknowledged.items():
        assert query.answer is not None and query.answer.text == f"Saved {int(stars)}★"
        assert ratings[(uid, item)] == stars, "an acknowledged rating was lost"

    second = BotProcess(tmp_path, env)
    await second.start()
    try:
        await server.wait_until(lambda: len(answered()) == len(taps), STARTUP_S, "every tap")
        ratings, answers = database(env["DATABASE_PATH"])
        assert {(uid, item): stars for uid, (_, item, stars) in taps.items()} == ratings
        assert set(answers.values()) == {1}, "an update was handled twice"
        answers_sent = Counter(
            str(r.params["callback_query_id"]) for r in server.calls("answerCallbackQuery")
        )
        assert set(answers_sent.values()) == {1}
        assert server.internal_errors == []
        await server.user(USERS[0]).send("/help")  # and it goes on polling
        reply = await server.user(USERS[0]).wait_for_message(
            lambda m: "What I can do" in (m.text or ""), timeout=10
        )
        assert reply is not None
    finally:
        assert await second.stop() == 0
    log = first.log()
    assert "were not handled: handling them now" in log
    assert env["TELEGRAM_BOT_TOKEN"] not in log
