"""Faults around the real bot process: a Bot API server that floods, fails and stalls, a
database locked by someone else, a full disk. The bot backs off, retries what is safe, tells
users the truth, never double-writes, and recovers when the cause goes away."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path

from botprocess import BotProcess
from test_private_chat import card_title, start_rating, stored

from tests.disks import small_disk
from tests.fakebotapi import FakeBotApi, FakeMessage, Fault

NOT_SAVED = "Sorry — I couldn't save that just now, so nothing changed."
LOCK_WAIT_S = 20  # the bot waits up to 5 s for a lock, twice (the inbox, then the rating)


def item_of(card: FakeMessage, label: str) -> int:
    return int(card.button(label)["callback_data"].split(":")[1])


def answer_rows(db: str, user: int) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM journal WHERE user_id = ?", (user,)).fetchone()[0]


async def test_flood_control_server_errors_and_a_stalled_server(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    erin = server.user(301, "Erin")
    card = await start_rating(erin)

    # 429 with retry_after: the rate limiter waits and sends once.
    server.inject("sendMessage", Fault.flood(retry_after=1))
    before = len(server.calls("sendMessage"))
    sent_at = time.monotonic()
    await erin.send("/help")
    reply = await erin.wait_for_message(lambda m: "What I can do" in (m.text or ""), timeout=10)
    assert time.monotonic() - sent_at >= 1.0
    assert len(server.calls("sendMessage")) - before == 2  # refused once, then sent once
    assert reply is not None

    # 5xx on the answer and the edit: both are safe to repeat, and the rating is written once.
    server.inject("answerCallbackQuery", Fault.server_error())
    server.inject("editMessageText", Fault(502, "Bad Gateway"), Fault(503, "Unavailable"))
    title, item = card_title(card), item_of(card, "★4")
    answer = await erin.press(card, "★4", timeout=10)
    assert answer.text == "Saved 4★"
    await erin.wait_for_edit(card, lambda m: card_title(m) != title, timeout=10)
    assert stored(bot_env["DATABASE_PATH"], 301) == {item: 4.0}
    assert answer_rows(bot_env["DATABASE_PATH"], 301) == 1

    # A server that stalls past the read timeout: the edit is repeated and lands.
    server.inject("editMessageText", Fault.slow(7))
    title = card_title(card)
    assert (await erin.press(card, "★2", timeout=15)).text == "Saved 2★"
    await erin.wait_for_edit(card, lambda m: card_title(m) != title, timeout=20)

    # getUpdates failing: the updater backs off and goes on; no update is lost or repeated.
    server.inject("getUpdates", *[Fault.server_error()] * 3)
    polls = len(server.calls("getUpdates"))
    await erin.send("/help")  # ends the poll in flight; the next three fail
    await erin.wait_for_message(lambda m: "What I can do" in (m.text or ""), timeout=10)
    await erin.send("/myratings")  # waits at the server through the failures
    mine = await erin.wait_for_message(lambda m: "Your ratings" in (m.text or ""), timeout=30)
    assert "(2," in (mine.text or "")
    assert len(server.calls("getUpdates")) - polls >= 4
    assert set(server.state.deliveries.values()) == {1}
    assert server.internal_errors == []
    log = bot.log()
    assert "Traceback" not in log, log[-3000:]
    assert "retrying" in log


async def test_a_locked_database_is_explained_and_then_recovers(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    db = bot_env["DATABASE_PATH"]
    frank = server.user(302, "Frank")
    card = await start_rating(frank)
    item = item_of(card, "★5")

    locker = sqlite3.connect(db, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # someone else's long write transaction
    try:
        answer = await frank.press(card, "★5", timeout=LOCK_WAIT_S)
        assert answer.text is not None and answer.text.startswith(NOT_SAVED)
        assert answer.show_alert
        await frank.send("/recommend")  # reads still work while the write lock is held
        await frank.wait_for_message(lambda m: "Popular" in (m.text or ""), timeout=LOCK_WAIT_S)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert stored(db, 302) == {}

    assert (await frank.press(card, "★5", timeout=10)).text == "Saved 5★"
    assert stored(db, 302) == {item: 5.0}
    assert "the database refused a write, nothing was saved: database is locked" in bot.log()


def fill(disk: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = disk / "filler"
    # Unbuffered: a write the disk refused is not left in a buffer for close() to retry.
    with open(filler, "wb", buffering=0) as fh, contextlib.suppress(OSError):
        while True:
            fh.write(b"\0" * 65536)
            os.fsync(fh.fileno())
    return filler


async def test_a_full_disk_is_explained_and_then_recovers(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk") as disk:
        env = {**bot_env, "DATABASE_PATH": str(disk / "bot.sqlite3")}
        process = BotProcess(tmp_path, env)  # its log stays on the roomy disk
        await process.start()
        try:
            gina = server.user(303, "Gina")
            card = await start_rating(gina)
            item = item_of(card, "★3")
            filler = fill(disk)
            # Rate several films: the database file and its log grow until a write fails.
            refused = None
            for _ in range(40):
                title = card_title(card)
                answer = await gina.press(card, "★3", timeout=LOCK_WAIT_S)
                if answer.text and answer.text.startswith(NOT_SAVED):
                    refused = answer
                    break
                await gina.wait_for_edit(card, lambda m, t=title: card_title(m) != t)
            assert refused is not None, "the disk never filled up"
            kept = stored(env["DATABASE_PATH"], 303)

            filler.unlink()
            item = item_of(card, "★3")
            assert (await gina.press(card, "★3", timeout=10)).text == "Saved 3★"
            assert stored(env["DATABASE_PATH"], 303) == {**kept, item: 3.0}
            assert set(kept.values()) <= {3.0}
        finally:
            assert await process.stop() == 0
        log = process.log()
        assert "database or disk is full" in log
        assert env["TELEGRAM_BOT_TOKEN"] not in log
