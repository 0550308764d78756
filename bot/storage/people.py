"""People and their answers: users, ratings, dismissals and the watchlist, each change
journalled for /undo (bot/storage/journal.py), and the whole-database views that
retraining and /stats read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from bot.storage import journal
from bot.storage.database import Database, check_id, check_stars, fetch
from bot.storage.records import (
    DISMISS_KINDS,
    Change,
    DismissKind,
    Rated,
    Rating,
    RatingEvent,
    Stats,
    User,
)


class PeopleStore(Database):
    """Users and everything they answered."""

    # -- users ------------------------------------------------------------------------------

    async def ensure_user(self, user_id: int, first_name: str, language: str | None) -> bool:
        """Create the user or refresh name, language and last_seen_at (and clear ``blocked``:
        a user who writes has unblocked the bot). True when the user is new."""
        check_id(user_id)
        now = self.now()

        def write(db: sqlite3.Connection) -> bool:
            created = fetch(
                db,
                "INSERT OR IGNORE INTO users (user_id, first_name, language, created_at, "
                "last_seen_at) VALUES (?, ?, ?, ?, ?) RETURNING 1",
                (user_id, first_name, language, now, now),
            )
            if not created:
                db.execute(
                    "UPDATE users SET first_name = ?, language = ?, last_seen_at = ?, blocked = 0 "
                    "WHERE user_id = ?",
                    (first_name, language, now, user_id),
                )
            return bool(created)

        return await self.transaction(write)

    async def user(self, user_id: int) -> User | None:
        rows = await self.read(
            "SELECT user_id, first_name, language, created_at, last_seen_at, blocked "
            "FROM users WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            return None
        uid, first_name, language, created_at, last_seen_at, blocked = rows[0]
        return User(uid, first_name, language, created_at, last_seen_at, bool(blocked))

    async def set_blocked(self, user_id: int, blocked: bool) -> None:
        """Remember that the user blocked (or unblocked) the bot, to stop messaging them."""
        await self.write("UPDATE users SET blocked = ? WHERE user_id = ?", (int(blocked), user_id))

    async def forget_user(self, user_id: int) -> bool:
        """Delete the user and, by cascade, their ratings, dismissals, answers, watchlist,
        group memberships and movie-night places. True when there was such a user.

        The write-ahead log is then checkpointed and truncated: until then it would still hold
        the deleted rows (their name, their searches) in plain bytes."""
        deleted = await self.write(
            "DELETE FROM users WHERE user_id = ? RETURNING 1", (user_id,), marks_handled=True
        )
        if deleted:
            await self.write("PRAGMA wal_checkpoint(TRUNCATE)")
        return bool(deleted)

    async def existing_users(self, user_ids: Iterable[int]) -> set[int]:
        """Which of these users the bot still knows (the others were forgotten)."""
        rows = await self.read(
            "SELECT user_id FROM users WHERE user_id IN (SELECT value FROM json_each(?))",
            (json.dumps([int(u) for u in user_ids]),),
        )
        return {user_id for (user_id,) in rows}

    # -- ratings and dismissals ---------------------------------------------------------------

    async def rate(self, user_id: int, item_id: int, stars: float) -> float | None:
        """Rate a film (see :meth:`rate_film`); the previous stars, or None."""
        return (await self.rate_film(user_id, item_id, stars)).previous

    async def rate_film(self, user_id: int, item_id: int, stars: float) -> Rated:
        """Rate a film 0.5–5 stars in halves (re-rating keeps created_at), clear any dismissal
        of it, take it off the watchlist (it has been watched), and journal the change."""
        stars = check_stars(stars)
        check_id(user_id)
        check_id(item_id)
        now = self.now()

        def write(db: sqlite3.Connection) -> Rated:
            (before,) = journal.log(db, user_id, "rated", [item_id], now)
            db.execute(
                "INSERT INTO ratings (user_id, item_id, stars, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, item_id) "
                "DO UPDATE SET stars = excluded.stars, updated_at = excluded.updated_at",
                (user_id, item_id, stars, now, now),
            )
            key = (user_id, item_id)
            if before.dismissal is not None:
                db.execute("DELETE FROM dismissals WHERE user_id = ? AND item_id = ?", key)
            if before.listed:
                db.execute("DELETE FROM watchlist WHERE user_id = ? AND item_id = ?", key)
            return Rated(before.stars, bool(before.listed))

        return await self.transaction(write, marks_handled=True)

    async def dismiss(self, user_id: int, item_id: int, kind: DismissKind) -> None:
        """Record that the user has not seen / does not want / skipped a film (replacing any
        rating of it; "not interested" also takes it off the watchlist), journalled."""
        if kind not in DISMISS_KINDS:
            raise ValueError(f"dismissal kind must be one of {sorted(DISMISS_KINDS)}, not {kind!r}")
        check_id(user_id)
        check_id(item_id)
        now = self.now()

        def write(db: sqlite3.Connection) -> None:
            (before,) = journal.log(db, user_id, kind, [item_id], now)
            key = (user_id, item_id)
            if before.stars is not None:
                db.execute("DELETE FROM ratings WHERE user_id = ? AND item_id = ?", key)
            if before.listed and journal.TOUCHES[kind][1]:
                db.execute("DELETE FROM watchlist WHERE user_id = ? AND item_id = ?", key)
            db.execute(
                "INSERT INTO dismissals (user_id, item_id, kind, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, item_id) "
                "DO UPDATE SET kind = excluded.kind, created_at = excluded.created_at",
                (user_id, item_id, kind, now),
            )

        await self.transaction(write, marks_handled=True)

    async def undo(self, user_id: int) -> Change | None:
        """Take back the user's latest change of any kind, putting back exactly the rows
        (timestamps included) that it replaced. None when there is nothing left to undo."""
        return await self.transaction(lambda db: journal.undo(db, user_id), marks_handled=True)

    async def delete_rating(self, user_id: int, item_id: int) -> float | None:
        """Delete one rating (from the ratings list), journalled so that /undo puts it back.
        The deleted stars, or None when there was no such rating (nothing is journalled)."""
        key = (user_id, item_id)
        now = self.now()

        def write(db: sqlite3.Connection) -> float | None:
            if not fetch(db, "SELECT 1 FROM ratings WHERE user_id = ? AND item_id = ?", key):
                return None
            (before,) = journal.log(db, user_id, "deleted", [item_id], now)
            db.execute("DELETE FROM ratings WHERE user_id = ? AND item_id = ?", key)
            return before.stars

        return await self.transaction(write, marks_handled=True)

    async def import_ratings(self, user_id: int, stars: dict[int, float]) -> list[int]:
        """Store many ratings as ONE change that /undo takes back whole. Films the user has
        rated already keep their stars (the bot's rating wins); a dismissal of an imported film
        is replaced, and it leaves the watchlist. The films imported, in ``stars`` order."""
        check_id(user_id)
        checked = {item: check_stars(value) for item, value in stars.items()}
        for item in checked:
            check_id(item)
        now = self.now()

        def write(db: sqlite3.Connection) -> list[int]:
            rated = {
                item
                for (item,) in fetch(
                    db,
                    "SELECT item_id FROM ratings WHERE user_id = ? AND item_id IN "
                    "(SELECT value FROM json_each(?))",
                    (user_id, json.dumps(list(checked))),
                )
            }
            new = [item for item in checked if item not in rated]
            if not new:
                return []
            journal.log(db, user_id, "imported", new, now)
            keys = [(user_id, item) for item in new]
            db.executemany("DELETE FROM dismissals WHERE user_id = ? AND item_id = ?", keys)
            db.executemany("DELETE FROM watchlist WHERE user_id = ? AND item_id = ?", keys)
            db.executemany(
                "INSERT INTO ratings (user_id, item_id, stars, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(user_id, item, checked[item], now, now) for item in new],
            )
            journal.prune(db, user_id)
            return new

        return await self.transaction(write, marks_handled=True)

    async def rating(self, user_id: int, item_id: int) -> float | None:
        """The user's stars for one film, or None."""
        stars = await self.scalar(
            "SELECT stars FROM ratings WHERE user_id = ? AND item_id = ?", (user_id, item_id)
        )
        return None if stars is None else float(stars)

    async def ratings(
        self, user_id: int, *, limit: int | None = None, offset: int = 0
    ) -> list[Rating]:
        """The user's ratings, most recently changed first (a page of them with ``limit``)."""
        rows = await self.read(
            "SELECT item_id, stars, updated_at FROM ratings WHERE user_id = ? "
            "ORDER BY updated_at DESC, item_id LIMIT ? OFFSET ?",
            (user_id, -1 if limit is None else limit, offset),
        )
        return [Rating(item_id, float(stars), updated_at) for item_id, stars, updated_at in rows]

    async def rating_count(self, user_id: int) -> int:
        return int(await self.scalar("SELECT count(*) FROM ratings WHERE user_id = ?", (user_id,)))

    async def dismissed(self, user_id: int) -> dict[int, DismissKind]:
        """Films the user dismissed, with how."""
        rows = await self.read("SELECT item_id, kind FROM dismissals WHERE user_id = ?", (user_id,))
        return {item_id: kind for item_id, kind in rows}

    async def rated_and_dismissed(self, user_id: int) -> tuple[dict[int, float], set[int]]:
        """The user's stars by film, and the films they dismissed, in one query (every rating
        card needs both)."""
        rows = await self.read(
            "SELECT item_id, stars FROM ratings WHERE user_id = ? "
            "UNION ALL SELECT item_id, NULL FROM dismissals WHERE user_id = ?",
            (user_id, user_id),
        )
        stars = {item: float(value) for item, value in rows if value is not None}
        return stars, {item for item, value in rows if value is None}

    # -- watchlist ----------------------------------------------------------------------------

    async def watchlist_add(self, user_id: int, item_id: int) -> bool:
        """Put a film on the user's watchlist, journalled. True when it was not there yet."""
        check_id(item_id)
        return await self._list(user_id, item_id, add=True)

    async def watchlist_remove(self, user_id: int, item_id: int) -> bool:
        """Take a film off the watchlist, journalled. True when it was there."""
        return await self._list(user_id, item_id, add=False)

    async def _list(self, user_id: int, item_id: int, *, add: bool) -> bool:
        key = (user_id, item_id)
        now = self.now()

        def write(db: sqlite3.Connection) -> bool:
            listed = bool(
                fetch(db, "SELECT 1 FROM watchlist WHERE user_id = ? AND item_id = ?", key)
            )
            if listed == add:
                return False  # nothing changes, so nothing to undo
            journal.log(db, user_id, "listed" if add else "unlisted", [item_id], now)
            if add:
                db.execute(
                    "INSERT INTO watchlist (user_id, item_id, added_at) VALUES (?, ?, ?)",
                    (*key, now),
                )
            else:
                db.execute("DELETE FROM watchlist WHERE user_id = ? AND item_id = ?", key)
            return True

        return await self.transaction(write, marks_handled=True)

    async def watchlist(self, user_id: int) -> list[int]:
        """The user's watchlist, most recently added first."""
        rows = await self.read(
            "SELECT item_id FROM watchlist WHERE user_id = ? ORDER BY added_at DESC, item_id",
            (user_id,),
        )
        return [item_id for (item_id,) in rows]

    # -- whole-database views ----------------------------------------------------------------

    async def all_ratings(self) -> list[RatingEvent]:
        """Every rating, for retraining."""
        rows = await self.read(
            "SELECT user_id, item_id, stars, updated_at FROM ratings ORDER BY user_id, item_id"
        )
        return [RatingEvent(u, i, float(s), t) for u, i, s, t in rows]

    async def ratings_since(self, timestamp: int) -> int:
        """How many ratings were made or changed at or after ``timestamp``."""
        return int(
            await self.scalar("SELECT count(*) FROM ratings WHERE updated_at >= ?", (timestamp,))
        )

    async def stats(self, day_start: int | None = None) -> Stats:
        """Users, ratings, and ratings changed since ``day_start`` (default: midnight UTC)."""
        if day_start is None:
            now = self.now()
            day_start = now - now % 86_400
        rows = await self.read(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM ratings), "
            "(SELECT count(*) FROM ratings WHERE updated_at >= ?)",
            (day_start,),
        )
        users, ratings, today = rows[0]
        return Stats(users=users, ratings=ratings, ratings_today=today)
