"""People's ratings, watchlists and dismissals follow a change of CATALOGUE.

Item ids are a catalogue's own: ml-100k's 50 is Star Wars, ml-latest-small's 50 is The Usual
Suspects. The database records which catalogue its ids belong to; when the bot starts on
another one, every stored film is looked up in the new catalogue (its IMDb id where both sides
have one, else its normalised title and year: recsys/data/matching.py) and re-keyed, in one
transaction. A film with no clear match is moved to the ``unmatched`` table with its title,
year and IMDb id: kept, never deleted, and tried again on every later change. /undo's history
names the old ids and is cleared.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.migrations import migrate
from recsys.data import Catalog, DataFormatError, FetchError, load_catalog
from recsys.data.matching import Entry, Matcher, title_keys

log = logging.getLogger(__name__)

# kind in the unmatched table -> (table, columns besides user_id and item_id, the column
# whose larger value wins when two old films become one new film)
_TABLES = {
    "rating": ("ratings", ("stars", "created_at", "updated_at"), "updated_at"),
    "watchlist": ("watchlist", ("added_at",), "added_at"),
    "dismissal": ("dismissals", ("kind", "created_at"), "created_at"),
}


@dataclass(frozen=True)
class Rekeyed:
    """What a change of catalogue did to the stored rows."""

    previous: str
    matched: int = 0  # rows now under the new catalogue's ids
    unmatched: int = 0  # rows moved to the unmatched table
    restored: int = 0  # rows of an earlier catalogue's unmatched ones matched again
    films_by_step: Counter[str] = field(default_factory=Counter)  # imdb, title, ... none

    def describe(self, current: str) -> str:
        steps = ", ".join(f"{n} by {how}" for how, n in sorted(self.films_by_step.items()))
        return (
            f"CATALOGUE changed from {self.previous} to {current}: {self.matched} stored "
            f"ratings, watchlist entries and dismissals matched to the new films, "
            f"{self.unmatched} kept aside unmatched (table 'unmatched'), {self.restored} "
            f"earlier unmatched ones matched again; films {steps or 'none'}"
        )


def rekey(
    database: Path, catalog: Catalog, name: str, source: str, data_dir: Path
) -> Rekeyed | None:
    """Bring the database at ``database`` to catalogue ``name`` (loadable as ``source``).

    Returns None when its ids already belong to ``name`` or it holds nothing yet (then it is
    recorded as ``name``'s)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA secure_delete = ON")  # as Storage: rows moved leave no copy
        migrate(conn, path=str(database))
        conn.execute("BEGIN IMMEDIATE")
        try:
            stored = conn.execute("SELECT name, source FROM catalogue").fetchone()
            result = None
            if stored is not None and stored[0] != name:
                old = _films(stored[1], data_dir)
                result = _move(conn, stored[0], old, Matcher.from_catalog(catalog))
            conn.execute(
                "INSERT INTO catalogue (id, name, source) VALUES (1, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET name = excluded.name, source = excluded.source",
                (name, source),
            )
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
        return result
    finally:
        conn.close()


def _films(source: str, data_dir: Path) -> dict[int, Entry]:
    """The previous catalogue's films as entries to match; none when it is gone (every row
    is then kept aside, to be matched once it is back)."""
    try:
        catalog = load_catalog(source, data_dir)
    except (DataFormatError, FetchError, OSError, ValueError) as error:
        log.warning("the previous catalogue %s cannot be read (%s): its films are kept "
                    "aside unmatched", source, error)  # fmt: skip
        return {}
    frame = catalog.frame
    return {
        int(item): Entry(str(title), _int(year), _int(imdb))
        for item, title, year, imdb in zip(
            frame.index, frame["title"], frame["year"], frame["imdb_id"], strict=True
        )
    }


def _move(conn: sqlite3.Connection, previous: str, old: dict[int, Entry], new: Matcher) -> Rekeyed:
    films_by_step: Counter[str] = Counter()
    found: dict[int, int | None] = {}

    def new_id(item: int) -> int | None:
        if item not in found:
            found[item], how = _match(new, old.get(item))
            films_by_step[how] += 1
        return found[item]

    matched = unmatched = restored = 0
    for kind, (table, columns, newest) in _TABLES.items():
        listed = ", ".join(columns)
        kept: dict[tuple[int, int], dict[str, Any]] = {}
        aside = []
        for user, item, *rest in conn.execute(f"SELECT user_id, item_id, {listed} FROM {table}"):
            values = dict(zip(columns, rest, strict=True))
            target = new_id(item)
            if target is None:
                entry = old.get(item, Entry(""))
                aside.append((user, kind, previous, item, entry.title or None, entry.year,
                              entry.imdb_id, json.dumps(values)))  # fmt: skip
                continue
            matched += 1
            if (user, target) not in kept or values[newest] > kept[user, target][newest]:
                kept[user, target] = values
        earlier = conn.execute(
            "SELECT user_id, catalogue, item_id, title, year, imdb_id, row FROM unmatched "
            "WHERE kind = ?",
            (kind,),
        ).fetchall()
        for user, catalogue, item, title, year, imdb, row in earlier:
            target, _ = _match(new, Entry(title or "", year, imdb))
            if target is None or (user, target) in kept:
                continue
            kept[user, target] = json.loads(row)
            restored += 1
            conn.execute(
                "DELETE FROM unmatched WHERE user_id = ? AND kind = ? AND catalogue = ? "
                "AND item_id = ?",
                (user, kind, catalogue, item),
            )
        conn.execute(f"DELETE FROM {table}")
        marks = ", ".join("?" * len(columns))
        conn.executemany(
            f"INSERT INTO {table} (user_id, item_id, {listed}) VALUES (?, ?, {marks})",
            [(user, item, *(v[c] for c in columns)) for (user, item), v in kept.items()],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO unmatched (user_id, kind, catalogue, item_id, title, year, "
            "imdb_id, row) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            aside,
        )
        unmatched += len(aside)
    conn.execute("DELETE FROM journal")
    return Rekeyed(previous, matched, unmatched, restored, films_by_step)


def _match(new: Matcher, entry: Entry | None) -> tuple[int | None, str]:
    """The film in the new catalogue, and how it was found; a title with alternatives in
    parentheses ("Twelve Monkeys (a.k.a. 12 Monkeys)") is tried by each of its names."""
    if entry is None:
        return None, "none"
    found, how = new.match_how(entry)
    for name in title_keys(entry.title) if found is None else ():
        found, how = new.match_how(replace(entry, title=name))
        if found is not None:
            break
    return found, how


def _int(value: object) -> int | None:
    """A cell of a nullable integer column: an int, or None for pandas' NA."""
    return int(value) if isinstance(value, int | np.integer) else None
