"""The inbox's SQL, and which update the running task is handling (bot/inbox.py uses both).

An update is marked handled in the same commit as the first write that is what its user asked
for (``marks_handled=True`` in bot/storage/database.py): the storage reads ``HANDLING`` to
learn which update that is, and runs ``mark_handled`` inside the transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the database imports this module for the two names above
    from bot.storage.database import Database

_MARK_HANDLED = "UPDATE inbox SET payload = NULL, done_at = ? WHERE update_id = ?"


@dataclass(slots=True)
class Handling:
    """The update whose handlers run in this task (set by bot/inbox.py); ``done`` once a
    write transaction has marked it handled."""

    update_id: int
    done: bool = False


HANDLING: ContextVar[Handling | None] = ContextVar("HANDLING", default=None)


def mark_handled(db: sqlite3.Connection, now: int, update_id: int) -> None:
    """Drop the update's payload and keep its id, to refuse redeliveries."""
    db.execute(_MARK_HANDLED, (now, update_id))


class InboxStore:
    """The ``inbox`` table: updates kept from their arrival until they are handled."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put_many(self, updates: Mapping[int, str]) -> set[int]:
        """Keep a batch of updates (update id -> payload, a JSON object) until they are
        handled, in one statement; the ids that were new (the others are redeliveries)."""
        if not updates:
            return set()
        # One JSON array of [id, update] pairs, the updates written in as they are: SQLite
        # takes each back out as the same JSON, minified.
        batch = ",".join(f"[{int(update_id)},{payload}]" for update_id, payload in updates.items())
        rows = await self._db.write(
            "INSERT INTO inbox (update_id, payload, received_at) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ? "
            "FROM json_each(?) WHERE true "
            "ON CONFLICT (update_id) DO NOTHING RETURNING update_id",
            (self._db.now(), f"[{batch}]"),
        )
        return {int(update_id) for (update_id,) in rows}

    async def done(self, update_id: int) -> None:
        """The update is handled: drop its payload, keep its id to refuse redeliveries."""
        await self._db.write(_MARK_HANDLED, (self._db.now(), update_id))

    async def pending(self) -> list[tuple[int, str]]:
        """Updates taken but not handled (the process died first), oldest first."""
        rows = await self._db.read(
            "SELECT update_id, payload FROM inbox WHERE done_at IS NULL ORDER BY update_id"
        )
        return [(int(update_id), str(payload)) for update_id, payload in rows]

    async def prune(self, older_than: int) -> int:
        """Forget handled updates received before ``older_than`` (Telegram redelivers for
        24 h); unhandled ones stay for the replay."""
        rows = await self._db.write(
            "DELETE FROM inbox WHERE received_at < ? AND done_at IS NOT NULL RETURNING 1",
            (older_than,),
        )
        return len(rows)
