"""The bot's own SQLite thread (bot/storage/thread.py): one connection, calls in order, one
trip each, errors and cancellations handled as the storage relies on."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.storage.thread import SqliteThread


def connect_to(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    return db


async def test_calls_run_in_order_on_one_connection_in_its_thread(tmp_path: Path) -> None:
    thread = await SqliteThread.open(lambda: connect_to(tmp_path / "db"), "test")
    try:
        inserts = [
            thread.call(lambda db, n=n: db.execute("INSERT INTO t VALUES (?)", (n,)).rowcount)
            for n in range(50)
        ]
        assert await asyncio.gather(*inserts) == [1] * 50
        rows = await thread.call(lambda db: db.execute("SELECT n FROM t").fetchall())
        assert [n for (n,) in rows] == list(range(50))
        ident = await thread.call(lambda db: threading.get_ident())
        assert ident != threading.get_ident()
    finally:
        await thread.close()


async def test_errors_reach_the_caller_and_the_thread_goes_on(tmp_path: Path) -> None:
    thread = await SqliteThread.open(lambda: connect_to(tmp_path / "db"), "test")
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await thread.call(lambda db: db.execute("SELECT * FROM missing"))
        assert await thread.call(lambda db: db.execute("SELECT 1").fetchone()) == (1,)
    finally:
        await thread.close()


async def test_a_cancelled_caller_s_work_still_runs_to_its_end(tmp_path: Path) -> None:
    thread = await SqliteThread.open(lambda: connect_to(tmp_path / "db"), "test")
    try:
        task = asyncio.create_task(
            thread.call(lambda db: db.execute("INSERT INTO t VALUES (7)").rowcount)
        )
        await asyncio.sleep(0)  # queued
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await thread.call(lambda db: db.execute("SELECT n FROM t").fetchall()) == [(7,)]
    finally:
        await thread.close()


async def test_a_failed_connect_is_raised_and_a_closed_thread_refuses_calls(
    tmp_path: Path,
) -> None:
    def refuse() -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    with pytest.raises(sqlite3.OperationalError, match="unable to open"):
        await SqliteThread.open(refuse, "test")
    thread = await SqliteThread.open(lambda: connect_to(tmp_path / "db"), "test")
    await thread.close()
    await thread.close()  # twice is harmless
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        await thread.call(lambda db: db.execute("SELECT 1"))
