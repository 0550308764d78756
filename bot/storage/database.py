"""The SQLite file behind the storage: opening it, its two connections, and transactions.

Durability contract: every method that writes has committed before it returns, so a handler
that replies after ``await storage.rate(...)`` never tells a user something the database lost
on a crash (WAL with synchronous=NORMAL: a power cut may lose the last commits, a crash of the
process loses nothing). Times are Unix seconds.

Each write transaction runs whole on the writing connection's thread, in one trip: BEGIN,
its statements and COMMIT (:meth:`Database.transaction`). The thread runs one call at a time,
so nothing comes between the statements of a transaction, and no lock is needed. Queries go
to a second, ``query_only`` connection on a thread of its own: in WAL mode it sees every
committed write and never waits behind the writer (under load, reads queued behind writes;
bench/load.py).
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

from bot.inbox_store import HANDLING, InboxStore, mark_handled
from bot.migrations import SCHEMA_VERSION, SchemaError, SchemaTooNewError, migrate, user_version
from bot.storage.thread import SqliteThread

Params = Sequence[Any] | dict[str, Any]
Row = tuple[Any, ...]
T = TypeVar("T")
_MAX_INT64 = 2**63 - 1


class UnknownIdError(LookupError):
    """A write named a user, group or movie night that does not exist (``ensure_user`` and
    ``upsert_group`` create them; ``forget_user`` removes users)."""


class Database:
    """One SQLite file: a writing and a reading connection; create with ``await open()``.

    A write that is what a user asked for (a rating, an undo; not bookkeeping such as
    refreshing a name) passes ``marks_handled=True``: it then also marks the update being
    handled as done in the inbox, in the same commit, so that after a crash the update is
    either wholly written and never replayed, or not written and replayed.
    """

    def __init__(
        self, writer: SqliteThread, reader: SqliteThread | None, clock: Callable[[], float]
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._clock = clock
        self.inbox = InboxStore(self)

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
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        timeout = int(busy_timeout_ms)

        def connect() -> sqlite3.Connection:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, the sqlite3 module does not.
            if read_only:
                uri = path.resolve().as_uri() + "?mode=ro"
                db = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                db = sqlite3.connect(path, isolation_level=None)
            try:
                db.execute(f"PRAGMA busy_timeout = {timeout}")
                db.execute("PRAGMA foreign_keys = ON")
                if read_only:
                    _check_version(db, path)
                else:
                    db.execute("PRAGMA journal_mode = WAL")
                    db.execute("PRAGMA synchronous = NORMAL")
                    # Deleted rows are overwritten, not left in free pages: /forget means gone.
                    db.execute("PRAGMA secure_delete = ON")
                    migrate(db, path=str(path))
            except BaseException:
                db.close()
                raise
            return db

        writer = await SqliteThread.open(connect, "sqlite-writer")
        try:
            reader = None if read_only else await _open_reader(path, timeout)
        except BaseException:
            await writer.close()
            raise
        return cls(writer, reader, clock)

    async def close(self) -> None:
        """Close the connections once the work queued on them is done."""
        if self._reader is not None:
            await self._reader.close()
        await self._writer.close()

    def now(self) -> int:
        return int(self._clock())

    # -- the calls every repository makes -----------------------------------------------------

    async def write(
        self, sql: str, params: Params = (), *, marks_handled: bool = False
    ) -> list[Row]:
        """One writing statement, one trip to the writing thread. It commits on its own, or
        with the inbox mark when it ``marks_handled`` (see the class)."""
        if marks_handled:
            return await self.transaction(lambda db: fetch(db, sql, params), marks_handled=True)
        return await self._writer.call(fetch, sql, params)

    async def read(self, sql: str, params: Params = ()) -> list[Row]:
        """One query on the reading connection: it sees every committed write and never
        waits for a write transaction to finish (WAL readers and the writer do not block)."""
        if self._reader is None:  # opened read-only: one connection does it all
            return await self._writer.call(fetch, sql, params)
        return await self._reader.call(fetch, sql, params)

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        rows = await self.read(sql, params)
        return rows[0][0] if rows else None

    async def transaction(
        self, work: Callable[[sqlite3.Connection], T], *, marks_handled: bool = False
    ) -> T:
        """Run ``work`` in one write transaction, in one trip to the writing thread: commit
        when it returns, roll back when it raises (``marks_handled``: see the class).

        Once queued, the transaction runs to its end even if the caller is cancelled; nothing
        can come between its statements, since the thread runs one call at a time.
        """
        handling = HANDLING.get()
        mark = None
        if marks_handled and handling is not None and not handling.done:
            mark = (self.now(), handling.update_id)
        try:
            result: T = await self._writer.call(_transaction, work, mark)
        except sqlite3.IntegrityError as error:
            if "FOREIGN KEY" in str(error):
                raise UnknownIdError(
                    "no such user, group or movie night; call ensure_user() or upsert_group() first"
                ) from error
            raise
        if mark is not None and handling is not None:
            handling.done = True
        return result

    async def on_writer(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` on the writing thread, outside any transaction: for checks of
        the connection itself (its pragmas, whether a transaction was left open)."""
        return await self._writer.call(fn)


def check_stars(stars: float) -> float:
    """Stars must be 0.5–5.0 in steps of 0.5; checked before any SQL runs."""
    if isinstance(stars, bool) or not isinstance(stars, int | float):
        raise ValueError(f"stars must be a number, not {type(stars).__name__}")
    doubled = float(stars) * 2
    if not math.isfinite(doubled) or not 1 <= doubled <= 10 or not doubled.is_integer():
        raise ValueError(f"stars must be 0.5 to 5 in steps of 0.5, not {stars!r}")
    return float(stars)


def check_id(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > _MAX_INT64:
        raise ValueError(f"ids are 64-bit integers, not {value!r}")


def fetch(db: sqlite3.Connection, sql: str, params: Params = ()) -> list[Row]:
    """All rows of one statement, on the connection's own thread."""
    return db.execute(sql, params).fetchall()


def _transaction(
    db: sqlite3.Connection,
    work: Callable[[sqlite3.Connection], T],
    mark: tuple[int, int] | None,
) -> T:
    """``work`` between BEGIN and COMMIT (on the writing thread), and the inbox mark."""
    db.execute("BEGIN IMMEDIATE")
    try:
        result = work(db)
        if mark is not None:
            mark_handled(db, *mark)
        db.execute("COMMIT")
    except BaseException:
        db.rollback()  # a no-op when the failed COMMIT already ended the transaction
        raise
    return result


def _check_version(db: sqlite3.Connection, path: Path) -> None:
    """A read-only file must have exactly this moviebot's schema: it cannot be migrated."""
    found = user_version(db)
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


async def _open_reader(path: Path, busy_timeout_ms: int) -> SqliteThread:
    """A second connection for queries, refusing writes (``query_only``) to stay honest."""

    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            db.execute("PRAGMA query_only = ON")
        except BaseException:
            db.close()
            raise
        return db

    return await SqliteThread.open(connect, "sqlite-reader")
