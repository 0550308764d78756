"""The change journal behind /undo: what each user action replaced, row by row.

A change is one action (a rating, a dismissal, a deleted rating, a watchlist add or removal,
a whole import). Before it writes, the action logs each film it touches with that film's full
previous state (its rating with timestamps, its dismissal, its place on the watchlist); the
rows of one change share ``change_id``, the seq of its first row. ``undo`` puts back exactly
those rows for the latest change and forgets it. Functions here run inside a caller's
transaction (bot/storage/database.py), so a change and its journal rows commit together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from bot.storage.database import fetch
from bot.storage.records import Change, ChangeKind, Restored

# Which tables a kind of change writes: the answer (ratings and dismissals), the watchlist.
TOUCHES: dict[ChangeKind, tuple[bool, bool]] = {
    "rated": (True, True),  # a rated film has been watched: it leaves the watchlist
    "unseen": (True, False),
    "skipped": (True, False),
    "not_interested": (True, True),
    "deleted": (True, False),
    "listed": (False, True),
    "unlisted": (False, True),
    "imported": (True, True),
}

# One row per film of ``{films}`` (key: position, value: item id), numbered from the user's
# next seq; the previous state is read by the same statement. A film is rated, dismissed or
# neither.
_LOG = """
    INSERT INTO journal (user_id, seq, change_id, kind, item_id, prev_stars, prev_dismissal,
                         prev_created_at, prev_updated_at, answer, listing, prev_listed_at,
                         made_at)
    SELECT :user, s.base + j.key, s.base, :kind, j.value, r.stars, d.kind,
           coalesce(r.created_at, d.created_at), r.updated_at, :answer, :listing, w.added_at,
           :now
    FROM (SELECT coalesce((SELECT max(seq) FROM journal WHERE user_id = :user), 0) + 1
          AS base) s
    JOIN {films} j
    LEFT JOIN ratings r ON r.user_id = :user AND r.item_id = j.value
    LEFT JOIN dismissals d ON d.user_id = :user AND d.item_id = j.value
    LEFT JOIN watchlist w ON w.user_id = :user AND w.item_id = j.value
    RETURNING item_id, prev_stars, prev_dismissal, prev_listed_at
"""
# A single film (nearly every change) skips json_each: a tenth of a rating's time.
_LOG_ONE = _LOG.format(films="(SELECT 0 AS key, :item AS value)")
_LOG_MANY = _LOG.format(films="json_each(:items)")

KEEP_CHANGES = 100  # /undo only ever goes back a few steps


def log(
    db: sqlite3.Connection, user_id: int, kind: ChangeKind, items: Sequence[int], now: int
) -> list[Restored]:
    """Journal one change over ``items`` (before writing it); each film's previous state."""
    answer, listing = TOUCHES[kind]
    params = {
        "user": user_id,
        "kind": kind,
        "answer": int(answer),
        "listing": int(listing),
        "now": now,
    }
    if len(items) == 1:
        rows = fetch(db, _LOG_ONE, {**params, "item": int(items[0])})
    else:
        rows = fetch(db, _LOG_MANY, {**params, "items": json.dumps([int(i) for i in items])})
    return [
        Restored(item, None if stars is None else float(stars), dismissal, listed is not None)
        for item, stars, dismissal, listed in rows
    ]


def prune(db: sqlite3.Connection, user_id: int) -> None:
    """Forget all but the user's last ``KEEP_CHANGES`` changes (whole changes, never part of
    one). The journal's trigger does this every 32nd single change; an import calls it."""
    db.execute(
        "DELETE FROM journal WHERE user_id = :user AND change_id < ("
        "  SELECT change_id FROM journal WHERE user_id = :user GROUP BY change_id"
        "  ORDER BY change_id DESC LIMIT 1 OFFSET :keep)",
        {"user": user_id, "keep": KEEP_CHANGES - 1},
    )


def undo(db: sqlite3.Connection, user_id: int) -> Change | None:
    """Put back every row the user's latest change replaced, and forget that change."""
    latest = fetch(
        db,
        "SELECT change_id, kind FROM journal WHERE user_id = ? ORDER BY seq DESC LIMIT 1",
        (user_id,),
    )
    if not latest:
        return None
    ((change_id, kind),) = latest
    rows = fetch(
        db,
        "SELECT item_id, prev_stars, prev_dismissal, prev_created_at, prev_updated_at, answer, "
        "listing, prev_listed_at FROM journal WHERE user_id = ? AND seq >= ? ORDER BY seq",
        (user_id, change_id),
    )
    answers = [(user_id, row[0]) for row in rows if row[5]]
    listings = [(user_id, row[0]) for row in rows if row[6]]
    db.executemany("DELETE FROM ratings WHERE user_id = ? AND item_id = ?", answers)
    db.executemany("DELETE FROM dismissals WHERE user_id = ? AND item_id = ?", answers)
    db.executemany("DELETE FROM watchlist WHERE user_id = ? AND item_id = ?", listings)
    db.executemany(
        "INSERT INTO ratings (user_id, item_id, stars, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [(user_id, r[0], r[1], r[3], r[4]) for r in rows if r[5] and r[1] is not None],
    )
    db.executemany(
        "INSERT INTO dismissals (user_id, item_id, kind, created_at) VALUES (?, ?, ?, ?)",
        [(user_id, r[0], r[2], r[3]) for r in rows if r[5] and r[2] is not None],
    )
    db.executemany(
        "INSERT INTO watchlist (user_id, item_id, added_at) VALUES (?, ?, ?)",
        [(user_id, r[0], r[7]) for r in rows if r[6] and r[7] is not None],
    )
    db.execute("DELETE FROM journal WHERE user_id = ? AND seq >= ?", (user_id, change_id))
    films = tuple(
        Restored(
            item,
            None if stars is None else float(stars),
            dismissal,
            (listed_at is not None) if listing else None,
        )
        for item, stars, dismissal, _, _, _, listing, listed_at in rows
    )
    return Change(kind, films)
