"""Posters from a fake TMDB on 127.0.0.1 (up, failing, slow), cached in the real SQLite file
for six months at most; the key never in the log."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.migrations import MIGRATIONS, migrate, user_version
from bot.posters import IMAGE_BASE, Posters, PosterStore, Tmdb
from bot.posters.store import MAX_AGE_S
from bot.storage import Storage
from tests.faketmdb import KEY, FakeTmdb

MATRIX, MEMENTO, NO_POSTER = 603, 77, 5


@pytest.fixture
async def tmdb() -> AsyncIterator[FakeTmdb]:
    async with FakeTmdb({MATRIX: "/matrix.jpg", MEMENTO: "/memento.jpg", NO_POSTER: None}) as fake:
        yield fake


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def posters_for(
    storage: Storage, tmdb: FakeTmdb, *, key: str = KEY, timeout_s: float = 2.0
) -> Posters:
    client = Tmdb(tmdb.base_url, SecretStr(key), timeout_s=timeout_s)
    return Posters(PosterStore(storage), client)


async def test_a_poster_is_asked_once_then_served_from_sqlite(
    storage: Storage, tmdb: FakeTmdb
) -> None:
    posters = posters_for(storage, tmdb)
    assert await posters.url(MATRIX) == IMAGE_BASE + "/matrix.jpg"
    assert await posters.url(NO_POSTER) is None  # TMDB has none: remembered too
    assert await posters.url(404_404) is None  # TMDB does not know the film
    assert await posters.url(None) is None  # the catalogue has no tmdbId
    await posters.close()
    assert tmdb.asked == [MATRIX, NO_POSTER, 404_404]
    again = posters_for(storage, tmdb)  # a restarted bot: the SQLite file remembers
    assert await again.url(MATRIX) == IMAGE_BASE + "/matrix.jpg"
    assert await again.url(NO_POSTER) is None
    await again.close()
    assert tmdb.asked == [MATRIX, NO_POSTER, 404_404]


async def test_the_cache_keeps_a_poster_six_months_at_most(tmp_path: Path, tmdb: FakeTmdb) -> None:
    clock = Clock()
    storage = await Storage.open(tmp_path / "bot.sqlite3", clock=clock)
    try:
        store = PosterStore(storage)
        await store.put(MATRIX, "/old.jpg")
        assert await store.get(MATRIX) == (True, "/old.jpg")
        clock.now += MAX_AGE_S + 1
        assert await store.get(MATRIX) == (False, None)
        posters = posters_for(storage, tmdb)
        assert await posters.url(MATRIX) == IMAGE_BASE + "/matrix.jpg"  # asked again
        await posters.close()
        assert tmdb.asked == [MATRIX]
        clock.now += MAX_AGE_S + 1
        assert await store.expire() == 1
        assert await storage.read("SELECT * FROM posters") == []
    finally:
        await storage.close()


async def test_failing_tmdb_means_no_poster_and_a_minute_of_peace(
    storage: Storage, tmdb: FakeTmdb, caplog: pytest.LogCaptureFixture
) -> None:
    tmdb.mode = "failing"
    posters = posters_for(storage, tmdb)
    with caplog.at_level(logging.DEBUG):
        assert await posters.url(MATRIX) is None
        assert await posters.url(MEMENTO) is None  # not even asked: TMDB just failed
    await posters.close()
    assert tmdb.asked == [MATRIX]
    assert "HTTP 500" in caplog.text and KEY not in caplog.text
    assert await storage.read("SELECT * FROM posters") == []  # a failure is not cached


async def test_slow_tmdb_is_given_up_on_without_stalling_the_event_loop(
    storage: Storage, tmdb: FakeTmdb
) -> None:
    tmdb.mode, tmdb.delay = "slow", 5.0
    posters = posters_for(storage, tmdb, timeout_s=0.5)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    assert await posters.url(MATRIX) is None
    took = time.monotonic() - started
    ticker.cancel()
    await posters.close()
    assert 0.4 < took < 2.0
    assert ticks >= 20  # the loop ran other work all along


async def test_a_refused_key_is_not_logged_and_a_v4_token_goes_in_a_header(
    storage: Storage, tmdb: FakeTmdb, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "f" * 32
    posters = posters_for(storage, tmdb, key=wrong)
    with caplog.at_level(logging.DEBUG):
        assert await posters.url(MATRIX) is None
    await posters.close()
    assert "HTTP 401" in caplog.text and wrong not in caplog.text
    tmdb.key = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl"  # a v4 read token's shape
    token = posters_for(storage, tmdb, key=tmdb.key)
    assert await token.url(MEMENTO) == IMAGE_BASE + "/memento.jpg"
    await token.close()


def test_a_migrated_database_has_the_poster_table() -> None:
    conn = sqlite3.connect(":memory:")
    migrate(conn)
    assert user_version(conn) == len(MIGRATIONS)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(posters)")]
    assert columns == ["tmdb_id", "path", "fetched_at"]
