"""Storage against real SQLite files: answers, undo, forgetting, concurrency, migrations."""

from __future__ import annotations

import asyncio
import contextlib
import math
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import migrations
from bot.inbox_store import HANDLING, Handling
from bot.migrations import MIGRATIONS, SCHEMA_VERSION, SchemaError, SchemaTooNewError
from bot.storage import Change, Rating, Restored, Stats, Storage, UnknownIdError

ALICE, BOB = 1001, 1002


class Clock:
    """A settable clock, so timestamps in assertions are exact."""

    def __init__(self, now: int = 1_700_000_000) -> None:
        self.now = now

    def __call__(self) -> float:
        return float(self.now)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "folder" / "moviebot.sqlite3"


@pytest.fixture
async def storage(db_path: Path, clock: Clock) -> AsyncIterator[Storage]:
    store = await Storage.open(db_path, clock=clock)
    await store.ensure_user(ALICE, "Alice", "en")
    await store.ensure_user(BOB, "Bob", "de")
    yield store
    await store.close()


@pytest.fixture
def raw(db_path: Path, storage: Storage) -> Iterator[sqlite3.Connection]:
    """A second, independent connection: what it sees is what was committed."""
    conn = sqlite3.connect(db_path)
    yield conn
    conn.close()


async def answered(storage: Storage, user_id: int) -> set[int]:
    """Films the user rated or dismissed."""
    stars, dismissed = await storage.rated_and_dismissed(user_id)
    return stars.keys() | dismissed


async def members(storage: Storage, chat_id: int) -> list[int]:
    rows = await storage.read(
        "SELECT user_id FROM group_members WHERE chat_id = ? ORDER BY joined_at, user_id",
        (chat_id,),
    )
    return [user_id for (user_id,) in rows]


async def in_transaction(storage: Storage) -> bool:
    """Whether the writing connection was left inside a transaction."""
    return await storage.on_writer(lambda db: db.in_transaction)


def rows(conn: sqlite3.Connection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(sql, params).fetchall()


# -- opening ----------------------------------------------------------------------------------


async def test_open_creates_folders_sets_pragmas_and_migrates(
    storage: Storage, db_path: Path, raw: sqlite3.Connection
) -> None:
    assert db_path.parent.is_dir()  # the folders were created
    assert rows(raw, "PRAGMA journal_mode") == [("wal",)]
    assert rows(raw, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    for pragma, value in [("foreign_keys", 1), ("synchronous", 1), ("busy_timeout", 5000)]:
        # synchronous 1 is NORMAL
        found = await storage.on_writer(lambda db, p=pragma: db.execute(f"PRAGMA {p}").fetchall())
        assert found == [(value,)], pragma


# -- users ------------------------------------------------------------------------------------


async def test_ensure_user_creates_then_refreshes(storage: Storage, clock: Clock) -> None:
    assert await storage.ensure_user(7, "Carol", None) is True
    await storage.set_blocked(7, True)
    clock.now += 60
    assert await storage.ensure_user(7, "Caroline", "fr") is False
    user = await storage.user(7)
    assert user is not None
    assert (user.first_name, user.language, user.blocked) == ("Caroline", "fr", False)
    assert user.last_seen_at == user.created_at + 60
    assert await storage.user(8) is None


# -- ratings ----------------------------------------------------------------------------------


async def test_rerating_updates_the_row_and_keeps_created_at(
    storage: Storage, clock: Clock, raw: sqlite3.Connection
) -> None:
    assert await storage.rate(ALICE, 50, 3.0) is None
    first = clock.now
    clock.now += 100
    assert await storage.rate(ALICE, 50, 4.5) == 3.0
    assert rows(raw, "SELECT stars, created_at, updated_at FROM ratings WHERE item_id = 50") == [
        (4.5, first, first + 100)
    ]
    assert await storage.rating(ALICE, 50) == 4.5
    assert await storage.rating_count(ALICE) == 1


@pytest.mark.parametrize("stars", [0, 0.0, 5.5, 3.3, -1, 0.25, math.nan, math.inf, True, "4", None])
async def test_invalid_stars_are_refused_before_touching_the_database(
    storage: Storage, stars: Any, raw: sqlite3.Connection
) -> None:
    with pytest.raises(ValueError):
        await storage.rate(ALICE, 50, stars)
    assert rows(raw, "SELECT count(*) FROM ratings") == [(0,)]
    assert rows(raw, "SELECT count(*) FROM journal") == [(0,)]


async def test_star_validation_needs_no_connection(db_path: Path) -> None:
    store = await Storage.open(db_path)
    await store.close()
    with pytest.raises(ValueError):
        await store.rate(ALICE, 1, 3.3)  # a closed connection would raise something else


@pytest.mark.parametrize("stars", [0.5, 1, 1.5, 2.0, 2.5, 3, 3.5, 4, 4.5, 5])
async def test_every_half_star_is_accepted(storage: Storage, stars: float) -> None:
    await storage.rate(ALICE, 1, stars)
    assert await storage.rating(ALICE, 1) == stars


async def test_the_schema_refuses_bad_stars_too(storage: Storage) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await storage.write("INSERT INTO ratings VALUES (?, 1, 3.3, 0, 0)", (ALICE,))


async def test_rating_an_unknown_user_is_a_clear_error(storage: Storage) -> None:
    with pytest.raises(UnknownIdError):
        await storage.rate(999, 1, 3.0)
    await storage.rate(ALICE, 1, 3.0)  # and the storage still works


async def test_ratings_are_listed_newest_first_and_paged(storage: Storage, clock: Clock) -> None:
    for item in (10, 20, 30):
        clock.now += 10
        await storage.rate(ALICE, item, 2.0)
    clock.now += 10
    await storage.rate(ALICE, 10, 5.0)  # re-rating makes it the newest
    listed = await storage.ratings(ALICE)
    assert [r.item_id for r in listed] == [10, 30, 20]
    assert listed[0] == Rating(10, 5.0, clock.now)
    assert [r.item_id for r in await storage.ratings(ALICE, limit=2, offset=1)] == [30, 20]
    assert await storage.ratings(BOB) == []


async def test_dismissing_replaces_a_rating_and_rating_clears_a_dismissal(
    storage: Storage,
) -> None:
    await storage.rate(ALICE, 1, 4.0)
    await storage.dismiss(ALICE, 1, "not_interested")
    await storage.dismiss(ALICE, 2, "unseen")
    await storage.dismiss(ALICE, 3, "skipped")
    assert await storage.rating(ALICE, 1) is None
    assert await storage.dismissed(ALICE) == {1: "not_interested", 2: "unseen", 3: "skipped"}
    await storage.rate(ALICE, 2, 3.5)
    assert await storage.dismissed(ALICE) == {1: "not_interested", 3: "skipped"}
    await storage.rate(ALICE, 4, 1.0)
    assert await answered(storage, ALICE) == {1, 2, 3, 4}
    assert await answered(storage, BOB) == set()
    assert await storage.rated_and_dismissed(ALICE) == ({2: 3.5, 4: 1.0}, {1, 3})
    assert await storage.rated_and_dismissed(BOB) == ({}, set())


async def test_an_unknown_dismissal_kind_is_refused(storage: Storage) -> None:
    with pytest.raises(ValueError):
        await storage.dismiss(ALICE, 1, "meh")  # type: ignore[arg-type]


def one(kind: str, item: int, stars: float | None, dismissal: str | None = None,
        listed: bool | None = None) -> Change:  # fmt: skip
    """A change of one film, as undo reports it."""
    return Change(kind, (Restored(item, stars, dismissal, listed),))  # type: ignore[arg-type]


async def test_a_deleted_rating_comes_back_with_undo_exactly(
    storage: Storage, clock: Clock, raw: sqlite3.Connection
) -> None:
    await storage.rate(ALICE, 1, 4.0)
    clock.now += 10
    await storage.rate(ALICE, 1, 4.5)  # an earlier edit: undo must not take this back instead
    await storage.rate(ALICE, 2, 4.0)
    before = rows(raw, "SELECT * FROM ratings ORDER BY item_id")
    assert await storage.delete_rating(ALICE, 1) == 4.5
    assert await storage.delete_rating(ALICE, 1) is None  # already gone: nothing journalled
    assert [r.item_id for r in await storage.ratings(ALICE)] == [2]
    assert await storage.undo(ALICE) == one("deleted", 1, 4.5)
    assert rows(raw, "SELECT * FROM ratings ORDER BY item_id") == before
    assert await storage.undo(ALICE) == one("rated", 2, None, listed=False)
    assert await storage.undo(ALICE) == one("rated", 1, 4.0, listed=False)
    assert await storage.rating(ALICE, 1) == 4.0


# -- undo -------------------------------------------------------------------------------------


async def test_undo_restores_the_previous_rating_exactly(
    storage: Storage, clock: Clock, raw: sqlite3.Connection
) -> None:
    await storage.rate(ALICE, 7, 3.0)
    before = rows(raw, "SELECT * FROM ratings")
    clock.now += 500
    await storage.rate(ALICE, 7, 5.0)
    assert await storage.undo(ALICE) == one("rated", 7, 3.0, listed=False)
    assert rows(raw, "SELECT * FROM ratings") == before


async def test_undo_restores_a_rating_replaced_by_a_dismissal(
    storage: Storage, clock: Clock, raw: sqlite3.Connection
) -> None:
    await storage.rate(ALICE, 7, 2.5)
    before = rows(raw, "SELECT * FROM ratings")
    clock.now += 5
    await storage.dismiss(ALICE, 7, "not_interested")
    assert await storage.undo(ALICE) == one("not_interested", 7, 2.5, listed=False)
    assert rows(raw, "SELECT * FROM ratings") == before
    assert await storage.dismissed(ALICE) == {}


async def test_undo_restores_the_previous_dismissal(
    storage: Storage, clock: Clock, raw: sqlite3.Connection
) -> None:
    await storage.dismiss(ALICE, 7, "unseen")
    before = rows(raw, "SELECT * FROM dismissals")
    clock.now += 5
    await storage.rate(ALICE, 7, 4.0)
    assert await storage.undo(ALICE) == one("rated", 7, None, "unseen", listed=False)
    assert rows(raw, "SELECT * FROM dismissals") == before
    assert await storage.rating(ALICE, 7) is None


async def test_undo_of_a_first_answer_leaves_nothing_and_then_there_is_nothing_to_undo(
    storage: Storage, raw: sqlite3.Connection
) -> None:
    await storage.rate(ALICE, 1, 3.0)
    await storage.dismiss(ALICE, 2, "skipped")
    assert await storage.undo(ALICE) == one("skipped", 2, None)
    assert await storage.undo(ALICE) == one("rated", 1, None, listed=False)
    assert await storage.undo(ALICE) is None
    assert rows(raw, "SELECT count(*) FROM ratings") == [(0,)]
    assert rows(raw, "SELECT count(*) FROM dismissals") == [(0,)]


async def test_undo_walks_back_step_by_step_and_is_per_user(storage: Storage) -> None:
    await storage.rate(BOB, 1, 1.0)
    for stars in (1.0, 2.0, 3.0, 4.0):
        await storage.rate(ALICE, 1, stars)
    for expected in (3.0, 2.0, 1.0, None):
        await storage.undo(ALICE)
        assert await storage.rating(ALICE, 1) == expected
    assert await storage.rating(BOB, 1) == 1.0


async def test_watchlist_changes_are_undone_too(
    storage: Storage, clock: Clock, raw: sqlite3.Connection
) -> None:
    await storage.watchlist_add(ALICE, 5)
    await storage.watchlist_add(ALICE, 6)
    listed = rows(raw, "SELECT * FROM watchlist ORDER BY item_id")
    clock.now += 60
    assert await storage.watchlist_add(ALICE, 5) is False  # no change, nothing to undo
    assert await storage.watchlist_remove(ALICE, 5) is True
    assert await storage.undo(ALICE) == one("unlisted", 5, None, listed=True)
    assert rows(raw, "SELECT * FROM watchlist ORDER BY item_id") == listed  # added_at kept
    assert await storage.undo(ALICE) == one("listed", 6, None, listed=False)
    assert await storage.watchlist(ALICE) == [5]


async def test_rating_a_film_takes_it_off_the_watchlist_and_undo_puts_it_back(
    storage: Storage, raw: sqlite3.Connection
) -> None:
    await storage.watchlist_add(ALICE, 5)
    listed = rows(raw, "SELECT * FROM watchlist")
    rated = await storage.rate_film(ALICE, 5, 4.0)
    assert (rated.previous, rated.unlisted) == (None, True)
    assert await storage.watchlist(ALICE) == []
    assert (await storage.rate_film(ALICE, 6, 4.0)).unlisted is False
    await storage.undo(ALICE)
    assert await storage.undo(ALICE) == one("rated", 5, None, listed=True)
    assert rows(raw, "SELECT * FROM watchlist") == listed
    await storage.dismiss(ALICE, 5, "not_interested")
    assert await storage.watchlist(ALICE) == []
    await storage.undo(ALICE)
    assert await storage.watchlist(ALICE) == [5]


async def test_an_import_is_one_change_that_undo_takes_back_whole(
    storage: Storage, clock: Clock, raw: sqlite3.Connection
) -> None:
    await storage.rate(ALICE, 1, 2.0)
    await storage.dismiss(ALICE, 2, "unseen")
    await storage.watchlist_add(ALICE, 3)
    before = {t: rows(raw, f"SELECT * FROM {t} ORDER BY item_id") for t in USER_TABLES[:2]}
    listed = rows(raw, "SELECT * FROM watchlist")
    clock.now += 100
    imported = await storage.import_ratings(ALICE, {1: 5.0, 2: 4.0, 3: 3.5, 4: 0.5})
    assert imported == [2, 3, 4]  # film 1 was rated here already: its 2 stars win
    assert await storage.rating(ALICE, 1) == 2.0
    assert await storage.rated_and_dismissed(ALICE) == ({1: 2.0, 2: 4.0, 3: 3.5, 4: 0.5}, set())
    assert await storage.watchlist(ALICE) == []
    assert await storage.import_ratings(ALICE, {1: 1.0, 2: 1.0}) == []  # nothing new: no change

    change = await storage.undo(ALICE)
    assert change == Change(
        "imported",
        (
            Restored(2, None, "unseen", False),
            Restored(3, None, None, True),
            Restored(4, None, None, False),
        ),
    )
    assert {t: rows(raw, f"SELECT * FROM {t} ORDER BY item_id") for t in USER_TABLES[:2]} == before
    assert rows(raw, "SELECT * FROM watchlist") == listed
    assert await storage.undo(ALICE) == one("listed", 3, None, listed=False)


async def test_the_journal_keeps_about_the_last_hundred_changes_whole(storage: Storage) -> None:
    for item in range(300):
        await storage.rate(ALICE, item, 3.0)
    (kept,) = await storage.read(
        "SELECT min(seq), max(seq), count(*) FROM journal WHERE user_id = ?", (ALICE,)
    )
    assert kept[1] == 300
    assert 100 <= kept[2] < 140
    assert kept[0] == 300 - kept[2] + 1  # the newest ones, without gaps
    await storage.import_ratings(ALICE, {item: 4.0 for item in range(1000, 1500)})
    for item in range(40):
        await storage.rate(ALICE, 2000 + item, 3.0)
    (changes, rows_of_import) = (
        await storage.read(
            "SELECT count(DISTINCT change_id), sum(kind = 'imported') FROM journal "
            "WHERE user_id = ?",
            (ALICE,),
        )
    )[0]
    assert 100 <= changes < 140 and rows_of_import == 500  # the import is kept whole
    for _ in range(40):
        await storage.undo(ALICE)
    assert (await storage.undo(ALICE) or one("rated", 0, None)).kind == "imported"
    assert await storage.rating(ALICE, 1000) is None


# -- watchlist --------------------------------------------------------------------------------


async def test_watchlist(storage: Storage, clock: Clock) -> None:
    assert await storage.watchlist_add(ALICE, 5) is True
    clock.now += 1
    assert await storage.watchlist_add(ALICE, 6) is True
    assert await storage.watchlist_add(ALICE, 5) is False
    assert await storage.watchlist(ALICE) == [6, 5]
    assert await storage.watchlist_remove(ALICE, 5) is True
    assert await storage.watchlist_remove(ALICE, 5) is False
    assert await storage.watchlist(ALICE) == [6]
    assert await storage.watchlist(BOB) == []


# -- forgetting -------------------------------------------------------------------------------


async def fill(storage: Storage, user_id: int) -> int:
    """Give a user one of everything; returns the movie night they created."""
    await storage.rate(user_id, 1, 4.0)
    await storage.dismiss(user_id, 2, "unseen")
    await storage.watchlist_add(user_id, 3)
    await storage.upsert_group(-100, "Club")
    await storage.write(
        "INSERT INTO group_members (chat_id, user_id, joined_at) VALUES (-100, ?, 0)", (user_id,)
    )
    night = await storage.create_night(-100, user_id, "comedy")
    await storage.join_night(night, user_id)
    return night


USER_TABLES = (
    "ratings",
    "dismissals",
    "journal",
    "watchlist",
    "group_members",
    "night_participants",
)


async def test_forget_user_removes_everything_and_only_that_user(
    storage: Storage, raw: sqlite3.Connection
) -> None:
    alice_night = await fill(storage, ALICE)
    await fill(storage, BOB)
    before = {t: rows(raw, f"SELECT * FROM {t} WHERE user_id = ?", BOB) for t in USER_TABLES}

    assert await storage.forget_user(ALICE) is True

    for table in USER_TABLES:
        assert rows(raw, f"SELECT count(*) FROM {table} WHERE user_id = ?", ALICE) == [(0,)]
        assert rows(raw, f"SELECT * FROM {table} WHERE user_id = ?", BOB) == before[table]
    assert rows(raw, "SELECT count(*) FROM users WHERE user_id = ?", ALICE) == [(0,)]
    # The night Alice started stays for the group, without her name on it.
    night = await storage.night(alice_night)
    assert night is not None
    assert night.created_by is None
    assert await storage.forget_user(ALICE) is False
    assert await storage.undo(ALICE) is None


# -- concurrency ------------------------------------------------------------------------------


async def test_concurrent_ratings_all_land_exactly_once(
    storage: Storage, raw: sqlite3.Connection
) -> None:
    stars = [0.5 * (item % 10 + 1) for item in range(200)]
    results = await asyncio.gather(*(storage.rate(ALICE, item, stars[item]) for item in range(200)))
    assert results == [None] * 200
    assert rows(raw, "SELECT item_id, stars FROM ratings ORDER BY item_id") == list(
        enumerate(stars)
    )


async def test_concurrent_rerates_of_one_film_form_a_chain(storage: Storage) -> None:
    values = [0.5 * (k % 10 + 1) for k in range(200)]
    previous = await asyncio.gather(*(storage.rate(ALICE, 9, v) for v in values))
    # Each call saw exactly the value of the call before it: no lost or torn update.
    assert previous == [None, *values[:-1]]
    assert await storage.rating(ALICE, 9) == values[-1]
    assert await storage.rating_count(ALICE) == 1


async def test_concurrent_mixed_writes_and_undos_keep_the_invariant(storage: Storage) -> None:
    async def busy(user: int, offset: int) -> None:
        for item in range(offset, offset + 30):
            await storage.rate(user, item % 7, 3.0)
            await storage.dismiss(user, (item + 3) % 7, "skipped")
            if item % 4 == 0:
                await storage.undo(user)

    await asyncio.gather(*(busy(user, k) for k, user in enumerate([ALICE, BOB] * 3)))
    both = await storage.read(
        "SELECT count(*) FROM ratings r JOIN dismissals d USING (user_id, item_id)"
    )
    assert list(both) == [(0,)]  # a film is never rated and dismissed at once


async def test_cancelled_calls_leave_no_transaction_open(storage: Storage) -> None:
    for steps in range(8):
        task = asyncio.create_task(storage.rate(ALICE, 100 + steps, 3.0))
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await storage.rate(ALICE, 1, 2.0)
        assert not await in_transaction(storage)
    assert await storage.rating(ALICE, 1) == 2.0


async def test_a_transaction_failing_half_way_writes_nothing_and_marks_nothing(
    storage: Storage,
) -> None:
    await storage.inbox.put_many({5: '{"update_id": 5}'})

    def rate_then_fail(db: sqlite3.Connection) -> None:
        db.execute("INSERT INTO ratings VALUES (?, 5, 4.0, 0, 0)", (ALICE,))
        raise RuntimeError("half way")

    async def handle() -> None:
        HANDLING.set(handling)
        with pytest.raises(RuntimeError, match="half way"):
            await storage.transaction(rate_then_fail, marks_handled=True)

    handling = Handling(5)
    await asyncio.create_task(handle())
    assert await storage.rating(ALICE, 5) is None
    assert not handling.done
    assert [u for u, _ in await storage.inbox.pending()] == [5]  # replayed after a restart
    assert not await in_transaction(storage)


# -- durability -------------------------------------------------------------------------------


async def test_reopening_keeps_everything(db_path: Path, clock: Clock) -> None:
    store = await Storage.open(db_path, clock=clock)
    await store.ensure_user(ALICE, "Alice", "en")
    night = await fill(store, ALICE)
    await store.rate(ALICE, 1, 2.0)
    run = await store.start_run("nightly")
    await store.close()

    store = await Storage.open(db_path, clock=clock)
    try:
        assert await store.rating(ALICE, 1) == 2.0
        assert await store.dismissed(ALICE) == {2: "unseen"}
        assert await store.watchlist(ALICE) == [3]
        assert await store.night_participants(night) == [ALICE]
        last = await store.last_run()
        assert last is not None and last.run_id == run
        assert await store.undo(ALICE) == one("rated", 1, 4.0, listed=False)
    finally:
        await store.close()


async def test_read_only_database_refuses_writes_and_keeps_state(
    db_path: Path, clock: Clock
) -> None:
    store = await Storage.open(db_path, clock=clock)
    await store.ensure_user(ALICE, "Alice", "en")
    await store.rate(ALICE, 1, 4.0)
    await store.close()

    store = await Storage.open(db_path, clock=clock, read_only=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await store.rate(ALICE, 1, 1.0)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await store.forget_user(ALICE)
        assert await store.rating(ALICE, 1) == 4.0
        assert not await in_transaction(store)
        assert await answered(store, ALICE) == {1}
    finally:
        await store.close()
    store = await Storage.open(db_path, clock=clock)
    try:
        assert await store.ratings(ALICE) == [Rating(1, 4.0, clock.now)]
    finally:
        await store.close()


# -- migrations -------------------------------------------------------------------------------


def create_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO users VALUES (1001, 'Alice', 'en', 10, 10, 0)")
    conn.execute("INSERT INTO ratings VALUES (1001, 42, 3.5, 10, 20)")
    conn.execute("INSERT INTO watchlist VALUES (1001, 42, 30)")  # listed after rating it
    # The answer log of version 1: the re-rating from 3 to 3.5 stars at time 20.
    conn.execute("INSERT INTO answers VALUES (1001, 1, 42, 'rated', 3.0, NULL, 10, 10, 20)")
    conn.commit()
    conn.close()


async def test_a_v1_database_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    create_v1(path)
    store = await Storage.open(path)
    try:
        assert await store.on_writer(migrations.user_version) == SCHEMA_VERSION
        assert await store.ratings(ALICE) == [Rating(42, 3.5, 20)]
        # The logged answer carries over to the journal, leaving the watchlist alone.
        assert await store.undo(ALICE) == one("rated", 42, 3.0)
        assert await store.ratings(ALICE) == [Rating(42, 3.0, 10)]
        assert await store.watchlist(ALICE) == [42]
        await store.upsert_group(-5, "Club")
        assert await store.start_run("admin:1001") >= 1
    finally:
        await store.close()


async def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match=f"version {SCHEMA_VERSION + 1}"):
        await Storage.open(path)


async def test_a_failing_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.sqlite3"
    create_v1(path)
    broken = (*MIGRATIONS[1:2], ("CREATE TABLE half_done (x)", "THIS IS NOT SQL"))
    monkeypatch.setattr(migrations, "MIGRATIONS", (MIGRATIONS[0], *broken))
    monkeypatch.setattr(migrations, "SCHEMA_VERSION", 3)
    with pytest.raises(sqlite3.OperationalError):
        await Storage.open(path)
    conn = sqlite3.connect(path)
    try:
        # Migration 2 committed on its own; the broken third left no trace.
        assert conn.execute("PRAGMA user_version").fetchall() == [(2,)]
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
        assert "groups" in tables
        assert "half_done" not in tables
    finally:
        conn.close()


async def test_read_only_refuses_an_unmigrated_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    create_v1(path)
    with pytest.raises(SchemaError, match="open it writable once"):
        await Storage.open(path, read_only=True)


# -- whole-database views ---------------------------------------------------------------------


async def test_all_ratings_stats_and_export(storage: Storage, clock: Clock) -> None:
    day_start = clock.now - clock.now % 86_400
    clock.now = day_start - 10  # yesterday
    await storage.rate(ALICE, 2, 3.0)
    clock.now = day_start + 10
    await storage.rate(ALICE, 1, 4.5)
    await storage.rate(BOB, 1, 0.5)
    rated = await storage.all_ratings()
    assert [tuple(r) for r in rated] == [
        (ALICE, 1, 4.5, day_start + 10),
        (ALICE, 2, 3.0, day_start - 10),
        (BOB, 1, 0.5, day_start + 10),
    ]
    assert await storage.ratings_since(day_start) == 2
    assert await storage.stats() == Stats(users=2, ratings=3, ratings_today=2)


# -- groups -----------------------------------------------------------------------------------


async def test_groups_and_movie_nights(storage: Storage, clock: Clock) -> None:
    await storage.upsert_group(-100, "Club")
    await storage.upsert_group(-100, "Film Club")
    night = await storage.create_night(-100, ALICE, "90s comedies")
    await storage.set_night_message(night, 77)
    assert await storage.join_night(night, ALICE) is True
    clock.now += 1
    assert await storage.join_night(night, BOB) is True
    assert await storage.join_night(night, ALICE) is False
    assert await storage.night_participants(night) == [ALICE, BOB]
    assert await members(storage, -100) == [ALICE, BOB]
    assert await storage.leave_night(night, ALICE) is True
    assert await storage.leave_night(night, ALICE) is False
    assert await storage.night_participants(night) == [BOB]

    current = await storage.current_night(-100)
    assert current is not None
    assert (current.night_id, current.message_id, current.filter, current.status) == (
        night,
        77,
        "90s comedies",
        "open",
    )
    assert await storage.cancel_night(night) is True
    assert await storage.current_night(-100) is None
    assert await storage.cancel_night(night) is False
    with pytest.raises(UnknownIdError):
        await storage.create_night(-999, ALICE)


# -- training runs ----------------------------------------------------------------------------


async def test_training_runs(storage: Storage, clock: Clock) -> None:
    assert await storage.last_run() is None
    first = await storage.start_run("nightly")
    clock.now += 60
    await storage.finish_run(
        first, "swapped", metrics={"rmse": 0.87, "ndcg@10": 0.31}, model_version="v1"
    )
    second = await storage.start_run(f"admin:{ALICE}")
    await storage.finish_run(second, "failed", error="out of memory")
    with pytest.raises(LookupError):
        await storage.finish_run(second, "kept")
    with pytest.raises(ValueError):
        await storage.start_run("cron")
    with pytest.raises(ValueError):
        await storage.finish_run(second, "running")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await storage.finish_run(second, "kept", metrics={"rmse": math.nan})

    runs = await storage.runs()
    assert [r.run_id for r in runs] == [second, first]
    done = runs[1]
    assert (done.status, done.trigger, done.model_version) == ("swapped", "nightly", "v1")
    assert done.metrics == {"rmse": 0.87, "ndcg@10": 0.31}
    assert done.finished_at == done.started_at + 60
    assert (runs[0].status, runs[0].error, runs[0].trigger) == (
        "failed",
        "out of memory",
        f"admin:{ALICE}",
    )

    stale = await storage.start_run("nightly")
    assert await storage.abandon_running_runs() == 1
    last = await storage.last_run()
    assert last is not None and (last.run_id, last.status) == (stale, "failed")


async def test_the_full_model_after_a_quick_one_is_recorded_as_a_first_run(
    storage: Storage,
) -> None:
    run = await storage.start_run("first")
    await storage.finish_run(run, "swapped", model_version="v1")
    last = await storage.last_run()
    assert last is not None and (last.trigger, last.status) == ("first", "swapped")


async def test_an_older_database_keeps_its_runs_and_learns_the_first_trigger(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    # Every migration before the one that widened the triggers (its place may change on merge).
    before = next(n for n, m in enumerate(MIGRATIONS) if "training_runs_new" in m[0])
    for migration in MIGRATIONS[:before]:
        for statement in migration:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {before}")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO training_runs (started_at, trigger) VALUES (1, 'first')")
    conn.execute(
        "INSERT INTO training_runs (started_at, finished_at, trigger, status, model_version) "
        "VALUES (1, 2, 'nightly', 'swapped', 'v1')"
    )
    conn.commit()
    conn.close()
    store = await Storage.open(path)
    try:
        [old] = await store.runs()
        assert (old.trigger, old.status, old.model_version) == ("nightly", "swapped", "v1")
        assert await store.start_run("first") > old.run_id
        with pytest.raises(ValueError):
            await store.start_run("firstly")
    finally:
        await store.close()
