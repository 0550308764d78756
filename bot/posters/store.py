"""Poster paths cached in the bot's SQLite file, for at most six months (TMDB's terms allow
caching its data that long): one row per TMDB id, a NULL path meaning "TMDB has none"."""

from __future__ import annotations

from bot.storage import Database

MAX_AGE_S = 182 * 24 * 3600  # six months


class PosterStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, tmdb_id: int) -> tuple[bool, str | None]:
        """(found, path) of a row younger than six months."""
        rows = await self.db.read(
            "SELECT path FROM posters WHERE tmdb_id = ? AND fetched_at > ?",
            (tmdb_id, self.db.now() - MAX_AGE_S),
        )
        return (True, rows[0][0]) if rows else (False, None)

    async def put(self, tmdb_id: int, path: str | None) -> None:
        await self.db.write(
            "INSERT INTO posters (tmdb_id, path, fetched_at) VALUES (?, ?, ?) "
            "ON CONFLICT (tmdb_id) DO UPDATE SET path = excluded.path, "
            "fetched_at = excluded.fetched_at",
            (tmdb_id, path, self.db.now()),
        )

    async def expire(self) -> int:
        """Delete rows older than six months; how many went."""
        rows = await self.db.write(
            "DELETE FROM posters WHERE fetched_at <= ? RETURNING 1",
            (self.db.now() - MAX_AGE_S,),
        )
        return len(rows)
