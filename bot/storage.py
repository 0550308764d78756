"""Everything the bot remembers, in one SQLite file behind two aiosqlite connections.

Durability contract: every method that writes has committed before it returns, so a handler
that replies after ``await storage.rate(...)`` never tells a user something the database lost
on a crash (WAL with synchronous=NORMAL: a power cut may lose the last commits, a crash of the
process loses nothing). Times are Unix seconds.

Each write transaction runs whole on the writing connection's thread, in one trip: BEGIN,
its statements and COMMIT (``_atomic``). aiosqlite runs one queued call at a time, so nothing
comes between the statements of a transaction, and no lock is needed. Queries go to a
second, ``query_only`` connection: in WAL mode it sees every committed write and never
waits behind the writer (under load, reads queued behind writes; bench/load.py).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple, Self, TypeVar, cast, get_args

import aiosqlite

from bot.migrations import SCHEMA_VERSION, SchemaError, SchemaTooNewError, migrate, user_version

DismissKind = Literal["unseen", "not_interested", "skipped"]
AnswerKind = Literal["rated", "unseen", "not_interested", "skipped"]
NightStatus = Literal["open", "voting", "closed", "cancelled"]
RunStatus = Literal["running", "swapped", "kept", "failed"]

DISMISS_KINDS: frozenset[str] = frozenset(get_args(DismissKind))
NIGHT_STATUSES: frozenset[str] = frozenset(get_args(NightStatus))
FINISHED_RUN_STATUSES: frozenset[str] = frozenset({"swapped", "kept", "failed"})

_MAX_INT64 = 2**63 - 1
_TRIGGER_RE = re.compile(r"nightly|admin:[0-9]{1,19}")
Params = Sequence[Any] | dict[str, Any]
Row = tuple[Any, ...]
T = TypeVar("T")

__all__ = [
    "Answer",
    "Ballot",
    "DismissKind",
    "MovieNight",
    "Rating",
    "RatingEvent",
    "SchemaError",
    "SchemaTooNewError",
    "Stats",
    "Storage",
    "TrainingRun",
    "UnknownIdError",
    "User",
]


@dataclass(slots=True)
class Handling:
    """The update whose handlers run in this task (set by bot/inbox.py); ``done`` once a
    write transaction has marked it handled."""

    update_id: int
    done: bool = False


HANDLING: ContextVar[Handling | None] = ContextVar("HANDLING", default=None)


class UnknownIdError(LookupError):
    """A write named a user, group or movie night that does not exist (``ensure_user`` and
    ``upsert_group`` create them; ``forget_user`` removes users)."""


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    first_name: str
    language: str | None
    created_at: int
    last_seen_at: int
    blocked: bool


@dataclass(frozen=True, slots=True)
class Rating:
    item_id: int
    stars: float
    updated_at: int


class RatingEvent(NamedTuple):
    """One row of the training data: who rated what, how, and when."""

    user_id: int
    item_id: int
    stars: float
    updated_at: int


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer taken back by ``undo``, and what the film went back to."""

    item_id: int
    kind: AnswerKind
    previous_stars: float | None
    previous_dismissal: DismissKind | None


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    ratings: int
    ratings_today: int


@dataclass(frozen=True, slots=True)
class MovieNight:
    night_id: int
    chat_id: int
    message_id: int | None
    filter: str
    status: NightStatus
    created_by: int | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Ballot:
    """A movie night's vote: the films put to it as (item id, group score) in poll order, the
    native poll that carries it, and the film picked once it closed."""

    night_id: int
    films: tuple[tuple[int, float], ...]
    poll_id: str | None
    poll_message_id: int | None
    picked_item: int | None


@dataclass(frozen=True, slots=True)
class TrainingRun:
    run_id: int
    started_at: int
    finished_at: int | None
    trigger: str
    status: RunStatus
    metrics: dict[str, Any] | None
    error: str | None
    model_version: str | None


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

_INBOX_DONE = "UPDATE inbox SET payload = NULL, done_at = ? WHERE update_id = ?"

_NIGHT_COLUMNS = "night_id, chat_id, message_id, filter, status, created_by, created_at"
_RUN_COLUMNS = "run_id, started_at, finished_at, trigger, status, metrics, error, model_version"


class Storage:
    """Typed async repository over one SQLite connection; create with ``await Storage.open()``."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        clock: Callable[[], float],
        reader: aiosqlite.Connection | None = None,
    ) -> None:
        self._conn = conn
        self._reader = reader
        self._clock = clock

    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
        busy_timeout_ms: int = 5000,
    ) -> Self:
        """Open (creating folders and file if needed) and migrate the database at ``path``.

        ``read_only`` opens an existing, fully migrated file without write access. ``clock``
        returns the current Unix time; tests pass a fake one.
        """
        if sqlite3.sqlite_version_info < (3, 35, 0):
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old; 3.35+ is needed")
        path = Path(path)
        if read_only:
            conn = await aiosqlite.connect(
                path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, the sqlite3 module does not.
            conn = await aiosqlite.connect(path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            await conn.execute("PRAGMA foreign_keys = ON")
            if read_only:
                found = await user_version(conn)
                if found > SCHEMA_VERSION:
                    raise SchemaTooNewError(
                        f"{path} has schema version {found}, newer than this moviebot's "
                        f"{SCHEMA_VERSION}; run a newer moviebot"
                    )
                if found < SCHEMA_VERSION:
                    raise SchemaError(
                        f"{path} has schema version {found}, this moviebot needs "
                        f"{SCHEMA_VERSION}; open it writable once to migrate"
                    )
            else:
                await conn.execute("PRAGMA journal_mode = WAL")
                await conn.execute("PRAGMA synchronous = NORMAL")
                await migrate(conn, path=str(path))
            reader = None if read_only else await _reader(path, busy_timeout_ms)
        except BaseException:
            await conn.close()
            raise
        return cls(conn, clock, reader)

    async def close(self) -> None:
        """Close the connections once the work queued on them is done."""
        if self._reader is not None:
            await self._reader.close()
        await self._conn.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self._clock())

    async def _write(self, sql: str, params: Params = (), *, effect: bool = False) -> list[Row]:
        """One writing statement, one trip to the database thread. An ``effect`` commits with
        the inbox mark of the update being handled (see ``_atomic``); otherwise it commits on
        its own."""
        if effect:
            return await self._atomic(lambda db: _fetch(db, sql, params))
        return cast(list[Row], list(await self._conn.execute_fetchall(sql, params)))

    async def _read(self, sql: str, params: Params = ()) -> list[Row]:
        """One query on the reading connection: it sees every committed write and never
        waits for a write transaction to finish (WAL readers and the writer do not block)."""
        if self._reader is None:  # opened read-only: one connection does it all
            return await self._write(sql, params)
        return cast(list[Row], list(await self._reader.execute_fetchall(sql, params)))

    async def _scalar(self, sql: str, params: Params = ()) -> Any:
        rows = await self._read(sql, params)
        return rows[0][0] if rows else None

    async def _atomic(self, work: Callable[[sqlite3.Connection], T], *, effect: bool = True) -> T:
        """Run ``work`` in one write transaction, in one trip to the database thread: commit
        when it returns, roll back when it raises.

        An ``effect`` (what a user asked for, not bookkeeping) also marks the update being
        handled as done in the inbox, in the same commit: after a crash it is either wholly
        written and never replayed, or not written and replayed. Once queued, the transaction
        runs to its end even if the caller is cancelled; nothing can come between its
        statements, since the thread runs one queued call at a time.
        """
        handling = HANDLING.get()
        mark = None
        if effect and handling is not None and not handling.done:
            mark = (self._now(), handling.update_id)
        try:
            result = await on_database_thread(self._conn, _transaction, work, mark)
        except sqlite3.IntegrityError as error:
            if "FOREIGN KEY" in str(error):
                raise UnknownIdError(
                    "no such user, group or movie night; call ensure_user() or upsert_group() first"
                ) from error
            raise
        if mark is not None and handling is not None:
            handling.done = True
        return result

    # -- the inbox of updates ---------------------------------------------------------------

    async def inbox_put(self, update_id: int, payload: str) -> bool:
        """Keep an update until it is handled; False when it was seen before (a redelivery)."""
        return update_id in await self.inbox_put_many({update_id: payload})

    async def inbox_put_many(self, updates: Mapping[int, str]) -> set[int]:
        """``inbox_put`` for a batch (update id -> payload, a JSON object) in one statement;
        the ids that were new."""
        if not updates:
            return set()
        # One JSON array of [id, update] pairs, the updates written in as they are: SQLite
        # takes each back out as the same JSON, minified.
        batch = ",".join(f"[{int(update_id)},{payload}]" for update_id, payload in updates.items())
        rows = await self._write(
            "INSERT INTO inbox (update_id, payload, received_at) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? "
            "FROM json_each(?) WHERE true "
            "ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            (self._now(), f"[{batch}]"),
        )
        return {int(update_id) for (update_id,) in rows}

    async def inbox_done(self, update_id: int) -> None:
        """The update is handled: drop its payload, keep its id to refuse redeliveries."""
        await self._write(_INBOX_DONE, (self._now(), update_id))

    async def inbox_pending(self) -> list[tuple[int, str]]:
        """Updates taken but not handled (the process died first), oldest first."""
        rows = await self._read(
            "SELECT update_id, payload FROM inbox WHERE done_at IS NULL ORDER BY update_id"
        )
        return [(int(update_id), str(payload)) for update_id, payload in rows]

    async def inbox_prune(self, older_than: int) -> int:
        """Forget handled updates received before ``older_than`` (Telegram redelivers for
        24 h); unhandled ones stay for the replay."""
        rows = await self._write(
            "DELETE FROM inbox WHERE received_at < ? AND done_at IS NOT NULL RETURNING 1",
            (older_than,),
        )
        return len(rows)

    # -- users ------------------------------------------------------------------------------

    async def ensure_user(self, user_id: int, first_name: str, language: str | None) -> bool:
        """Create the user or refresh name, language and last_seen_at (and clear ``blocked``:
        a user who writes has unblocked the bot). True when the user is new."""
        _check_id(user_id)
        now = self._now()

        def write(db: sqlite3.Connection) -> bool:
            created = _fetch(
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

        return await self._atomic(write, effect=False)

    async def user(self, user_id: int) -> User | None:
        rows = await self._read(
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
        await self._write("UPDATE users SET blocked = ? WHERE user_id = ?", (int(blocked), user_id))

    async def forget_user(self, user_id: int) -> bool:
        """Delete the user and, by cascade, their ratings, dismissals, answers, watchlist,
        group memberships and movie-night places. True when there was such a user."""
        deleted = await self._write(
            "DELETE FROM users WHERE user_id = ? RETURNING 1", (user_id,), effect=True
        )
        return bool(deleted)

    # -- ratings and dismissals ---------------------------------------------------------------

    async def rate(self, user_id: int, item_id: int, stars: float) -> float | None:
        """Rate a film 0.5–5 stars in halves (re-rating keeps created_at), clear any dismissal
        of it, and log the answer for ``undo``. Returns the previous stars, or None."""
        stars = _check_stars(stars)
        _check_id(user_id)
        _check_id(item_id)
        now = self._now()

        def write(db: sqlite3.Connection) -> float | None:
            ((previous, dismissal),) = _fetch(
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

        return await self._atomic(write)

    async def dismiss(self, user_id: int, item_id: int, kind: DismissKind) -> None:
        """Record that the user has not seen / does not want / skipped a film (replacing any
        rating of it), and log the answer for ``undo``."""
        if kind not in DISMISS_KINDS:
            raise ValueError(f"dismissal kind must be one of {sorted(DISMISS_KINDS)}, not {kind!r}")
        _check_id(user_id)
        _check_id(item_id)
        now = self._now()

        def write(db: sqlite3.Connection) -> None:
            ((previous_stars, _),) = _fetch(
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

        await self._atomic(write)

    async def undo(self, user_id: int) -> Answer | None:
        """Take back the user's latest answer, putting back exactly the rating or dismissal
        (timestamps included) that it replaced. None when there is nothing left to undo."""

        def write(db: sqlite3.Connection) -> Answer | None:
            rows = _fetch(
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

        return await self._atomic(write)

    async def delete_rating(self, user_id: int, item_id: int) -> bool:
        """Delete one rating (from the ratings list, not an undo). Its answers leave the undo
        log too, so a later /undo does not resurrect it. True when there was such a rating."""
        key = (user_id, item_id)

        def write(db: sqlite3.Connection) -> bool:
            deleted = _fetch(
                db, "DELETE FROM ratings WHERE user_id = ? AND item_id = ? RETURNING 1", key
            )
            db.execute("DELETE FROM answers WHERE user_id = ? AND item_id = ?", key)
            return bool(deleted)

        return await self._atomic(write)

    async def rating(self, user_id: int, item_id: int) -> float | None:
        """The user's stars for one film, or None."""
        stars = await self._scalar(
            "SELECT stars FROM ratings WHERE user_id = ? AND item_id = ?", (user_id, item_id)
        )
        return None if stars is None else float(stars)

    async def ratings(
        self, user_id: int, *, limit: int | None = None, offset: int = 0
    ) -> list[Rating]:
        """The user's ratings, most recently changed first (a page of them with ``limit``)."""
        rows = await self._read(
            "SELECT item_id, stars, updated_at FROM ratings WHERE user_id = ? "
            "ORDER BY updated_at DESC, item_id LIMIT ? OFFSET ?",
            (user_id, -1 if limit is None else limit, offset),
        )
        return [Rating(item_id, float(stars), updated_at) for item_id, stars, updated_at in rows]

    async def rating_count(self, user_id: int) -> int:
        return int(await self._scalar("SELECT count(*) FROM ratings WHERE user_id = ?", (user_id,)))

    async def dismissed(self, user_id: int) -> dict[int, DismissKind]:
        """Films the user dismissed, with how."""
        rows = await self._read(
            "SELECT item_id, kind FROM dismissals WHERE user_id = ?", (user_id,)
        )
        return {item_id: kind for item_id, kind in rows}

    async def rated_and_dismissed(self, user_id: int) -> tuple[dict[int, float], set[int]]:
        """The user's stars by film, and the films they dismissed, in one query (every rating
        card needs both)."""
        rows = await self._read(
            "SELECT item_id, stars FROM ratings WHERE user_id = ? "
            "UNION ALL SELECT item_id, NULL FROM dismissals WHERE user_id = ?",
            (user_id, user_id),
        )
        stars = {item: float(value) for item, value in rows if value is not None}
        return stars, {item for item, value in rows if value is None}

    async def answered_item_ids(self, user_id: int) -> set[int]:
        """Films the user rated or dismissed: never ask about these again."""
        rows = await self._read(
            "SELECT item_id FROM ratings WHERE user_id = ? "
            "UNION SELECT item_id FROM dismissals WHERE user_id = ?",
            (user_id, user_id),
        )
        return {item_id for (item_id,) in rows}

    async def export_ratings_csv(self, user_id: int) -> str:
        """The user's ratings as CSV (item_id, stars, rated_at, updated_at in ISO 8601 UTC)."""
        rows = await self._read(
            "SELECT item_id, stars, created_at, updated_at FROM ratings WHERE user_id = ? "
            "ORDER BY created_at, item_id",
            (user_id,),
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["item_id", "stars", "rated_at", "updated_at"])
        for item_id, stars, created_at, updated_at in rows:
            writer.writerow([item_id, f"{stars:g}", _iso(created_at), _iso(updated_at)])
        return out.getvalue()

    # -- watchlist ----------------------------------------------------------------------------

    async def watchlist_add(self, user_id: int, item_id: int) -> bool:
        """Put a film on the user's watchlist. True when it was not there yet."""
        _check_id(item_id)
        added = await self._write(
            "INSERT OR IGNORE INTO watchlist (user_id, item_id, added_at) VALUES (?, ?, ?) "
            "RETURNING 1",
            (user_id, item_id, self._now()),
            effect=True,
        )
        return bool(added)

    async def watchlist_remove(self, user_id: int, item_id: int) -> bool:
        """Take a film off the watchlist. True when it was there."""
        removed = await self._write(
            "DELETE FROM watchlist WHERE user_id = ? AND item_id = ? RETURNING 1",
            (user_id, item_id),
        )
        return bool(removed)

    async def watchlist(self, user_id: int) -> list[int]:
        """The user's watchlist, most recently added first."""
        rows = await self._read(
            "SELECT item_id FROM watchlist WHERE user_id = ? ORDER BY added_at DESC, item_id",
            (user_id,),
        )
        return [item_id for (item_id,) in rows]

    # -- whole-database views ----------------------------------------------------------------

    async def all_ratings(self) -> list[RatingEvent]:
        """Every rating, for retraining."""
        rows = await self._read(
            "SELECT user_id, item_id, stars, updated_at FROM ratings ORDER BY user_id, item_id"
        )
        return [RatingEvent(u, i, float(s), t) for u, i, s, t in rows]

    async def ratings_since(self, timestamp: int) -> int:
        """How many ratings were made or changed at or after ``timestamp``."""
        return int(
            await self._scalar("SELECT count(*) FROM ratings WHERE updated_at >= ?", (timestamp,))
        )

    async def stats(self, day_start: int | None = None) -> Stats:
        """Users, ratings, and ratings changed since ``day_start`` (default: midnight UTC)."""
        if day_start is None:
            now = self._now()
            day_start = now - now % 86_400
        rows = await self._read(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM ratings), "
            "(SELECT count(*) FROM ratings WHERE updated_at >= ?)",
            (day_start,),
        )
        users, ratings, today = rows[0]
        return Stats(users=users, ratings=ratings, ratings_today=today)

    # -- groups and movie nights -------------------------------------------------------------

    async def upsert_group(self, chat_id: int, title: str) -> None:
        """Remember a group chat, or update its title."""
        await self._write(
            "INSERT INTO groups (chat_id, title, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (chat_id) DO UPDATE SET title = excluded.title",
            (chat_id, title, self._now()),
        )

    async def add_group_member(self, chat_id: int, user_id: int) -> None:
        await self._write(
            "INSERT OR IGNORE INTO group_members (chat_id, user_id, joined_at) VALUES (?, ?, ?)",
            (chat_id, user_id, self._now()),
            effect=True,
        )

    async def remove_group_member(self, chat_id: int, user_id: int) -> None:
        await self._write(
            "DELETE FROM group_members WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        )

    async def group_members(self, chat_id: int) -> list[int]:
        rows = await self._read(
            "SELECT user_id FROM group_members WHERE chat_id = ? ORDER BY joined_at, user_id",
            (chat_id,),
        )
        return [user_id for (user_id,) in rows]

    async def create_night(
        self, chat_id: int, created_by: int | None, filter_text: str = ""
    ) -> int:
        """Start a movie night in a group; returns its id."""
        rows = await self._write(
            "INSERT INTO movie_nights (chat_id, filter, created_by, created_at) "
            "VALUES (?, ?, ?, ?) RETURNING night_id",
            (chat_id, filter_text, created_by, self._now()),
            effect=True,
        )
        return int(rows[0][0])

    async def set_night_message(self, night_id: int, message_id: int) -> None:
        """Remember which message shows the night, so later changes can edit it."""
        await self._write(
            "UPDATE movie_nights SET message_id = ? WHERE night_id = ?", (message_id, night_id)
        )

    async def set_night_status(self, night_id: int, status: NightStatus) -> None:
        if status not in NIGHT_STATUSES:
            raise ValueError(f"night status must be one of {sorted(NIGHT_STATUSES)}")
        await self._write(
            "UPDATE movie_nights SET status = ? WHERE night_id = ?", (status, night_id)
        )

    async def night(self, night_id: int) -> MovieNight | None:
        rows = await self._read(
            f"SELECT {_NIGHT_COLUMNS} FROM movie_nights WHERE night_id = ?", (night_id,)
        )
        return MovieNight(*rows[0]) if rows else None

    async def current_night(self, chat_id: int) -> MovieNight | None:
        """The group's latest night that is still open or voting."""
        rows = await self._read(
            f"SELECT {_NIGHT_COLUMNS} FROM movie_nights "
            "WHERE chat_id = ? AND status IN ('open', 'voting') ORDER BY night_id DESC LIMIT 1",
            (chat_id,),
        )
        return MovieNight(*rows[0]) if rows else None

    async def join_night(self, night_id: int, user_id: int) -> bool:
        """Add a user to a night (and to its group). True when they were not in it yet."""
        now = self._now()

        def write(db: sqlite3.Connection) -> bool:
            joined = _fetch(
                db,
                "INSERT OR IGNORE INTO night_participants (night_id, user_id, joined_at) "
                "VALUES (?, ?, ?) RETURNING 1",
                (night_id, user_id, now),
            )
            db.execute(
                "INSERT OR IGNORE INTO group_members (chat_id, user_id, joined_at) "
                "SELECT chat_id, ?, ? FROM movie_nights WHERE night_id = ?",
                (user_id, now, night_id),
            )
            return bool(joined)

        return await self._atomic(write)

    async def leave_night(self, night_id: int, user_id: int) -> bool:
        """Take a user out of a night. True when they were in it."""
        left = await self._write(
            "DELETE FROM night_participants WHERE night_id = ? AND user_id = ? RETURNING 1",
            (night_id, user_id),
        )
        return bool(left)

    async def night_participants(self, night_id: int) -> list[int]:
        """User ids in the night, in the order they joined."""
        rows = await self._read(
            "SELECT user_id FROM night_participants WHERE night_id = ? ORDER BY joined_at, user_id",
            (night_id,),
        )
        return [user_id for (user_id,) in rows]

    async def night_people(self, night_id: int) -> list[tuple[int, str]]:
        """(user id, first name) of everyone in the night, in the order they joined."""
        return [
            (user_id, name)
            for user_id, name in await self._read(
                "SELECT p.user_id, u.first_name FROM night_participants p "
                "JOIN users u USING (user_id) WHERE p.night_id = ? "
                "ORDER BY p.joined_at, p.user_id",
                (night_id,),
            )
        ]

    async def ratings_of(self, user_ids: Sequence[int]) -> dict[int, list[Rating]]:
        """Several users' ratings in one query (every id is a key, with [] if none)."""
        rows = await self._read(
            "SELECT user_id, item_id, stars, updated_at FROM ratings "
            "WHERE user_id IN (SELECT value FROM json_each(?)) ORDER BY user_id, item_id",
            (json.dumps([int(u) for u in user_ids]),),
        )
        out: dict[int, list[Rating]] = {int(u): [] for u in user_ids}
        for user_id, item_id, stars, updated_at in rows:
            out[user_id].append(Rating(item_id, float(stars), updated_at))
        return out

    async def dismissed_by_any(self, user_ids: Sequence[int]) -> set[int]:
        """Films that any of these users dismissed, whichever way."""
        rows = await self._read(
            "SELECT DISTINCT item_id FROM dismissals "
            "WHERE user_id IN (SELECT value FROM json_each(?))",
            (json.dumps([int(u) for u in user_ids]),),
        )
        return {item_id for (item_id,) in rows}

    async def open_vote(self, night_id: int, films: Sequence[tuple[int, float]]) -> bool:
        """Move an open night to voting and store the films put to the vote, in poll order.
        False (and nothing stored) when the night is not open: someone else got there first."""
        rows = [
            (night_id, position, int(item), float(score))
            for position, (item, score) in enumerate(films)
        ]

        def write(db: sqlite3.Connection) -> bool:
            moved = _fetch(
                db,
                "UPDATE movie_nights SET status = 'voting' "
                "WHERE night_id = ? AND status = 'open' RETURNING 1",
                (night_id,),
            )
            if moved:
                db.executemany(
                    "INSERT INTO night_films (night_id, position, item_id, score) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
            return bool(moved)

        return await self._atomic(write)

    async def set_night_poll(self, night_id: int, poll_id: str, message_id: int) -> None:
        """Remember the native poll (and its message) that carries a night's vote."""
        await self._write(
            "UPDATE movie_nights SET poll_id = ?, poll_message_id = ? WHERE night_id = ?",
            (poll_id, message_id, night_id),
        )

    async def ballot(self, night_id: int) -> Ballot | None:
        """The night's vote; None for an unknown night (films are () before the vote)."""
        # One query, so the night and its films come from the same snapshot; on the reading
        # connection, so a write lock held elsewhere does not hold it up.
        rows = await self._read(
            "SELECT m.poll_id, m.poll_message_id, m.picked_item, f.item_id, f.score "
            "FROM movie_nights m LEFT JOIN night_films f USING (night_id) "
            "WHERE m.night_id = ? ORDER BY f.position",
            (night_id,),
        )
        if not rows:
            return None
        poll_id, message_id, picked = rows[0][:3]
        films = tuple((item, float(score)) for *_, item, score in rows if item is not None)
        return Ballot(night_id, films, poll_id, message_id, picked)

    async def night_by_poll(self, poll_id: str) -> MovieNight | None:
        rows = await self._read(
            f"SELECT {_NIGHT_COLUMNS} FROM movie_nights WHERE poll_id = ?", (poll_id,)
        )
        return MovieNight(*rows[0]) if rows else None

    async def close_vote(self, night_id: int, picked_item: int) -> bool:
        """Close a night that is voting, with its pick. False when it was not voting (closed
        already by another path: a button, a poll update)."""
        closed = await self._write(
            "UPDATE movie_nights SET status = 'closed', picked_item = ? "
            "WHERE night_id = ? AND status = 'voting' RETURNING 1",
            (picked_item, night_id),
        )
        return bool(closed)

    async def cancel_night(self, night_id: int) -> bool:
        """Cancel a night that is still open or voting; True when it was."""
        cancelled = await self._write(
            "UPDATE movie_nights SET status = 'cancelled' "
            "WHERE night_id = ? AND status IN ('open', 'voting') RETURNING 1",
            (night_id,),
        )
        return bool(cancelled)

    # -- training runs ------------------------------------------------------------------------

    async def start_run(self, trigger: str) -> int:
        """Record that a retraining run started; ``trigger`` is 'nightly' or 'admin:<user id>'."""
        if not _TRIGGER_RE.fullmatch(trigger):
            raise ValueError(f"trigger must be 'nightly' or 'admin:<user id>', not {trigger!r}")
        rows = await self._write(
            "INSERT INTO training_runs (started_at, trigger) VALUES (?, ?) RETURNING run_id",
            (self._now(), trigger),
            effect=True,
        )
        return int(rows[0][0])

    async def finish_run(
        self,
        run_id: int,
        status: Literal["swapped", "kept", "failed"],
        *,
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
        model_version: str | None = None,
    ) -> None:
        """Close a running run: 'swapped' (new model serving), 'kept' (old model was better) or
        'failed' (with ``error``). Raises LookupError if the run is not running."""
        if status not in FINISHED_RUN_STATUSES:
            raise ValueError(f"status must be one of {sorted(FINISHED_RUN_STATUSES)}")
        # allow_nan=False: NaN is not JSON, and SQLite's json_valid() would refuse it anyway.
        metrics_json = None if metrics is None else json.dumps(metrics, allow_nan=False)
        updated = await self._write(
            "UPDATE training_runs SET finished_at = ?, status = ?, metrics = ?, error = ?, "
            "model_version = ? WHERE run_id = ? AND status = 'running' RETURNING 1",
            (self._now(), status, metrics_json, error, model_version, run_id),
        )
        if not updated:
            raise LookupError(f"training run {run_id} is not running")

    async def abandon_running_runs(self, error: str = "interrupted by a restart") -> int:
        """Mark runs left 'running' by a process that died as failed; returns how many."""
        rows = await self._write(
            "UPDATE training_runs SET status = 'failed', finished_at = ?, error = ? "
            "WHERE status = 'running' RETURNING 1",
            (self._now(), error),
        )
        return len(rows)

    async def last_run(self) -> TrainingRun | None:
        runs = await self.runs(limit=1)
        return runs[0] if runs else None

    async def runs(self, limit: int = 20) -> list[TrainingRun]:
        """The latest training runs, newest first."""
        rows = await self._read(
            f"SELECT {_RUN_COLUMNS} FROM training_runs ORDER BY run_id DESC LIMIT ?", (limit,)
        )
        return [_training_run(row) for row in rows]


def _check_stars(stars: float) -> float:
    """Stars must be 0.5–5.0 in steps of 0.5; checked before any SQL runs."""
    if isinstance(stars, bool) or not isinstance(stars, int | float):
        raise ValueError(f"stars must be a number, not {type(stars).__name__}")
    doubled = float(stars) * 2
    if not math.isfinite(doubled) or not 1 <= doubled <= 10 or not doubled.is_integer():
        raise ValueError(f"stars must be 0.5 to 5 in steps of 0.5, not {stars!r}")
    return float(stars)


def _check_id(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _MAX_INT64:
        raise ValueError(f"ids are 64-bit integers, not {value!r}")


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _training_run(row: Iterable[Any]) -> TrainingRun:
    run_id, started, finished, trigger, status, metrics, error, version = row
    return TrainingRun(
        run_id=run_id,
        started_at=started,
        finished_at=finished,
        trigger=trigger,
        status=cast(RunStatus, status),
        metrics=None if metrics is None else json.loads(metrics),
        error=error,
        model_version=version,
    )


def _fetch(db: sqlite3.Connection, sql: str, params: Params = ()) -> list[Row]:
    return db.execute(sql, params).fetchall()


def _transaction(
    db: sqlite3.Connection,
    work: Callable[[sqlite3.Connection], T],
    mark_done: tuple[int, int] | None,
) -> T:
    """``work`` between BEGIN and COMMIT (on the database thread), and the inbox mark."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
        if mark_done is not None:
            db.execute(_INBOX_DONE, mark_done)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()  # a no-op when the failed COMMIT already ended the transaction
        raise
    return result


async def on_database_thread(conn: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """``fn(sqlite3_connection, *args)``, called on the thread that owns ``conn``.

    aiosqlite runs every statement as one trip to its thread, and a trip costs about 60 µs
    of CPU in hand-offs between the threads: a rating written as BEGIN, three statements and
    COMMIT took 340 µs where one trip takes 100. aiosqlite has no public call for this
    (omnilib/aiosqlite#19), so it goes through ``Connection._execute`` and ``_conn``, which
    all of aiosqlite's own methods use; pyproject.toml pins the versions that have them.
    """
    return await conn._execute(fn, conn._conn, *args)


async def _reader(path: Path, busy_timeout_ms: int) -> aiosqlite.Connection:
    """A second connection for queries, refusing writes (``query_only``) to stay honest."""
    reader = await aiosqlite.connect(path, isolation_level=None)
    try:
        await reader.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        await reader.execute("PRAGMA query_only = ON")
    except BaseException:
        await reader.close()
        raise
    return reader
