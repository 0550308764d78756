"""Film posters from TMDB, by the tmdbId of links.csv: looked up once, then cached (memory,
then SQLite, six months at most). Without TMDB_API_KEY, or while TMDB fails or is slow, there
is simply no poster and cards go out as text, as they always did."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable

from bot.posters.store import MAX_AGE_S, PosterStore
from bot.posters.tmdb import Tmdb, TmdbUnavailable

log = logging.getLogger(__name__)

IMAGE_BASE = "https://image.tmdb.org/t/p/w500"  # TMDB's image host; Telegram fetches it
RETRY_AFTER_S = 60.0  # after a failure, TMDB is left alone (and cards go without) this long
MAX_REMEMBERED = 100_000  # poster paths held in memory before it starts over

__all__ = ["IMAGE_BASE", "PosterStore", "Posters", "Tmdb"]


class Posters:
    """``await posters.url(tmdb_id)``: the poster's image URL, or None."""

    def __init__(
        self,
        store: PosterStore,
        tmdb: Tmdb | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.tmdb = tmdb
        self._clock = clock
        self._memory: dict[int, tuple[str | None, float]] = {}  # id -> (path, when learnt)
        self._asking: dict[int, asyncio.Task[str | None]] = {}
        self._down_until = 0.0

    @property
    def enabled(self) -> bool:
        return self.tmdb is not None

    async def url(self, tmdb_id: int | None) -> str | None:
        if self.tmdb is None or tmdb_id is None:
            return None
        path = await self._path(tmdb_id)
        return None if path is None else IMAGE_BASE + path

    def known_url(self, tmdb_id: int | None) -> str | None:
        """The poster's URL if this process already knows it; never waits (inline answers
        use it for thumbnails, at every keystroke)."""
        known = None if tmdb_id is None else self._memory.get(tmdb_id)
        if known is None or known[0] is None or self._clock() - known[1] >= MAX_AGE_S:
            return None
        return IMAGE_BASE + known[0]

    async def _path(self, tmdb_id: int) -> str | None:
        now = self._clock()
        known = self._memory.get(tmdb_id)
        if known is not None and now - known[1] < MAX_AGE_S:
            return known[0]
        found, path = await self.store.get(tmdb_id)
        if found:
            self._remember(tmdb_id, path)
            return path
        if now < self._down_until:
            return None
        # Two cards of the same film at once ask TMDB once.
        task = self._asking.get(tmdb_id)
        if task is None:
            task = asyncio.create_task(self._ask(tmdb_id))
            self._asking[tmdb_id] = task
            task.add_done_callback(lambda _: self._asking.pop(tmdb_id, None))
        return await asyncio.shield(task)  # a cancelled card still lets the answer be cached

    async def _ask(self, tmdb_id: int) -> str | None:
        assert self.tmdb is not None
        try:
            path = await self.tmdb.poster_path(tmdb_id)
        except TmdbUnavailable as error:
            self._down_until = self._clock() + RETRY_AFTER_S
            log.warning("TMDB gave no answer for film %d (%s): cards go without posters for "
                        "%.0f s", tmdb_id, error, RETRY_AFTER_S)  # fmt: skip
            return None
        self._remember(tmdb_id, path)
        try:
            await self.store.put(tmdb_id, path)
        except sqlite3.Error as error:  # a cache: the poster is shown all the same
            log.warning("could not cache the poster of film %d: %s", tmdb_id, error)
        return path

    def _remember(self, tmdb_id: int, path: str | None) -> None:
        if len(self._memory) >= MAX_REMEMBERED:
            self._memory.clear()
        self._memory[tmdb_id] = (path, self._clock())

    async def close(self) -> None:
        if self.tmdb is not None:
            await self.tmdb.close()
