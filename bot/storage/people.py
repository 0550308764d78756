"""People and their answers: users, ratings, dismissals with the undo log, the watchlist,
and the whole-database views that retraining and /stats read."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from bot.storage.database import Database, check_id, check_stars, fetch
from bot.storage.records import (
    DISMISS_KINDS,
    Answer,
    DismissKind,
    Rating,
    RatingEvent,
    Stats,
    User,
)

# The previous state of (user, item) is captured by the same statement that logs the answer.
# A film is rated, dismissed or neither, never both, so at most one side of the joins matches.
_LOG_ANSWER = """
    INSERT INTO answers (user_id, seq, item_id, kind, prev_stars, prev_dismissal,
                         prev_created_at, prev_updated_at, answered_at)
    SELECT :user,
           coalesce((SELECT max(seq) FROM answers WHERE user_id = :user), 0) + 1,
           :item, :kind, r.stars, d.kind,
           coalesce(r.created_at, d.created_at), r.updated_at, :now
    FROM (SELECT 1)
    LEFT JOIN ratings r ON r.user_id = :user AND r.item_id = :item
    LEFT JOIN dismissals d ON d.user_id = :user AND d.item_id = :item
    RETURNING prev_stars, prev_dismissal
"""


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
        """Rate a film 0.5–5 stars in halves (re-rating keeps created_at), clear any dismissal
        of it, and log the answer for ``undo``. Returns the previous stars, or None."""
        stars = check_stars(stars)
        check_id(user_id)
        check_id(item_id)
        now = self.now()

        def write(db: sqlite3.Connection) -> float | None:
            ((previous, dismissal),) = fetch(
                db, _LOG_ANSWER, {"user": user_id, "item": item_id, "kind": "rated", "now": now}
            )
            db.execute(
                "INSERT INTO ratings (user_id, item_id, stars, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, item_id) "
                "DO UPDATE SET stars = excluded.stars, updated_at = excluded.updated_at",
                (user_id, item_id, stars, now, now),
            )
            if dismissal is not None:
                db.execute(
                    "DELETE FROM dismissals WHERE user_id = ? AND item_id = ?", (user_id, item_id)
                )
            return None if previous is None else float(previous)

        return await self.transaction(write, marks_handled=True)

    async def dismiss(self, user_id: int, item_id: int, kind: DismissKind) -> None:
        """Record that the user has not seen / does not want / skipped a film (replacing any
        rating of it), and log the answer for ``undo``."""
        if kind not in DISMISS_KINDS:
            raise ValueError(f"dismissal kind must be one of {sorted(DISMISS_KINDS)}, not {kind!r}")
        check_id(user_id)
        check_id(item_id)
        now = self.now()

        def write(db: sqlite3.Connection) -> None:
            ((previous_stars, _),) = fetch(
                db, _LOG_ANSWER, {"user": user_id, "item": item_id, "kind": kind, "now": now}
            )
            if previous_stars is not None:
                db.execute(
                    "DELETE FROM ratings WHERE user_id = ? AND item_id = ?", (user_id, item_id)
                )
            db.execute(
                "INSERT INTO dismissals (user_id, item_id, kind, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_id, item_id) "
                "DO UPDATE SET kind = excluded.kind, created_at = excluded.created_at",
                (user_id, item_id, kind, now),
            )

        await self.transaction(write, marks_handled=True)

    async def undo(self, user_id: int) -> Answer | None:
        """Take back the user's latest answer, putting back exactly the rating or dismissal
        (timestamps included) that it replaced. None when there is nothing left to undo."""

        def write(db: sqlite3.Connection) -> Answer | None:
            rows = fetch(
                db,
                "SELECT seq, item_id, kind, prev_stars, prev_dismissal, prev_created_at, "
                "prev_updated_at FROM answers WHERE user_id = ? ORDER BY seq DESC LIMIT 1",
                (user_id,),
            )
            if not rows:
                return None
            seq, item_id, kind, prev_stars, prev_dismissal, prev_created, prev_updated = rows[0]
            key = (user_id, item_id)
            db.execute("DELETE FROM ratings WHERE user_id = ? AND item_id = ?", key)
            db.execute("DELETE FROM dismissals WHERE user_id = ? AND item_id = ?", key)
            if prev_stars is not None:
                db.execute(
                    "INSERT INTO ratings (user_id, item_id, stars, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (*key, prev_stars, prev_created, prev_updated),
                )
            elif prev_dismissal is not None:
                db.execute(
                    "INSERT INTO dismissals (user_id, item_id, kind, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (*key, prev_dismissal, prev_created),
                )
            db.execute("DELETE FROM answers WHERE user_id = ? AND seq = ?", (user_id, seq))
            return Answer(
                item_id=item_id,
                kind=kind,
                previous_stars=None if prev_stars is None else float(prev_stars),
                previous_dismissal=prev_dismissal,
            )

        return await self.transaction(write, marks_handled=True)

    async def delete_rating(self, user_id: int, item_id: int) -> bool:
        """Delete one rating (from the ratings list, not an undo). Its answers leave the undo
        log too, so a later /undo does not resurrect it. True when there was such a rating."""
        key = (user_id, item_id)

        def write(db: sqlite3.Connection) -> bool:
            deleted = fetch(
                db, "DELETE FROM ratings WHERE user_id = ? AND item_id = ? RETURNING 1", key
            )
            db.execute("DELETE FROM answers WHERE user_id = ? AND item_id = ?", key)
            return bool(deleted)

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
        """Put a film on the user's watchlist. True when it was not there yet."""
        check_id(item_id)
        added = await self.write(
            "INSERT OR IGNORE INTO watchlist (user_id, item_id, added_at) VALUES (?, ?, ?) "
            "RETURNING 1",
            (user_id, item_id, self.now()),
            marks_handled=True,
        )
        return bool(added)

    async def watchlist_remove(self, user_id: int, item_id: int) -> bool:
        """Take a film off the watchlist. True when it was there."""
        removed = await self.write(
            "DELETE FROM watchlist WHERE user_id = ? AND item_id = ? RETURNING 1",
            (user_id, item_id),
        )
        return bool(removed)

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
