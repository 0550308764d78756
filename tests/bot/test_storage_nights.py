"""Storage of movie-night votes (migration 4): who is in by name, several users' ratings at
once, opening and closing a vote exactly once, and finding a night by its poll."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.migrations import MIGRATIONS
from bot.storage import Ballot, Rating, Storage

ALICE, BOB, CAROL = 1001, 1002, 1003
CLUB = -100


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = await Storage.open(tmp_path / "nights.sqlite3", clock=lambda: 1_700_000_000.0)
    for user, name in ((ALICE, "Alice"), (BOB, "Bob"), (CAROL, "Carol")):
        await store.ensure_user(user, name, "en")
    await store.upsert_group(CLUB, "Club")
    yield store
    await store.close()


async def test_night_people_come_with_first_names_in_joining_order(storage: Storage) -> None:
    night = await storage.create_night(CLUB, ALICE)
    await storage.join_night(night, BOB)
    await storage.join_night(night, ALICE)
    assert await storage.night_people(night) == [(ALICE, "Alice"), (BOB, "Bob")]  # same second
    await storage.ensure_user(BOB, "Robert", "en")
    assert (BOB, "Robert") in await storage.night_people(night)
    assert await storage.night_people(night + 1) == []


async def test_ratings_and_dismissals_of_several_users(storage: Storage) -> None:
    await storage.rate(ALICE, 50, 5.0)
    await storage.rate(ALICE, 7, 3.5)
    await storage.rate(BOB, 50, 2.0)
    await storage.dismiss(BOB, 9, "not_interested")
    await storage.dismiss(CAROL, 11, "skipped")
    ratings = await storage.ratings_of([ALICE, BOB, CAROL])
    assert {user: [(r.item_id, r.stars) for r in rs] for user, rs in ratings.items()} == {
        ALICE: [(7, 3.5), (50, 5.0)],
        BOB: [(50, 2.0)],
        CAROL: [],
    }
    assert all(isinstance(r, Rating) for r in ratings[ALICE])
    assert await storage.ratings_of([]) == {}
    assert await storage.dismissed_by_any([BOB, CAROL]) == {9, 11}
    assert await storage.dismissed_by_any([ALICE]) == set()


async def test_a_vote_opens_once_closes_once_and_keeps_its_films(storage: Storage) -> None:
    night = await storage.create_night(CLUB, ALICE, "g5")
    assert await storage.ballot(night) == Ballot(night, (), None, None, None)
    films = [(50, 4.25), (181, 4.0), (7, 3.5)]
    assert await storage.open_vote(night, films) is True
    assert await storage.open_vote(night, [(1, 5.0)]) is False  # already voting: no change
    current = await storage.current_night(CLUB)
    assert current is not None and current.status == "voting"

    await storage.set_night_poll(night, "5000001", 42)
    assert await storage.ballot(night) == Ballot(night, tuple(films), "5000001", 42, None)
    found = await storage.night_by_poll("5000001")
    assert found is not None and found.night_id == night
    assert await storage.night_by_poll("nope") is None

    assert await storage.close_vote(night, 181) is True
    assert await storage.close_vote(night, 50) is False  # closed by another path first
    ballot = await storage.ballot(night)
    assert ballot is not None and ballot.picked_item == 181
    assert await storage.current_night(CLUB) is None
    assert await storage.ballot(night + 99) is None


async def test_two_presses_at_once_open_one_vote(storage: Storage) -> None:
    night = await storage.create_night(CLUB, ALICE)
    results = await asyncio.gather(
        storage.open_vote(night, [(1, 4.0), (2, 3.0)]),
        storage.open_vote(night, [(3, 4.0), (4, 3.0)]),
    )
    assert sorted(results) == [False, True]
    ballot = await storage.ballot(night)
    assert ballot is not None and len(ballot.films) == 2


async def test_only_open_or_voting_nights_are_cancelled(storage: Storage) -> None:
    night = await storage.create_night(CLUB, ALICE)
    assert await storage.cancel_night(night) is True
    assert await storage.cancel_night(night) is False
    assert await storage.open_vote(night, [(1, 4.0)]) is False  # a cancelled night never votes
    other = await storage.create_night(CLUB, ALICE)
    await storage.open_vote(other, [(1, 4.0), (2, 3.0)])
    await storage.close_vote(other, 1)
    assert await storage.cancel_night(other) is False


async def test_a_poll_belongs_to_one_night_and_films_go_with_their_night(
    storage: Storage, tmp_path: Path
) -> None:
    first = await storage.create_night(CLUB, ALICE)
    second = await storage.create_night(CLUB, ALICE)
    await storage.set_night_poll(first, "p1", 10)
    with pytest.raises(sqlite3.IntegrityError):
        await storage.set_night_poll(second, "p1", 11)
    await storage.open_vote(second, [(1, 4.0), (2, 3.0)])
    await storage.upsert_group(-200, "Other")
    conn = sqlite3.connect(tmp_path / "nights.sqlite3")
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("DELETE FROM groups WHERE chat_id = ?", (CLUB,))
        conn.commit()
        assert conn.execute("SELECT count(*) FROM night_films").fetchall() == [(0,)]
    finally:
        conn.close()


async def test_a_v3_database_gains_the_vote_columns_and_keeps_its_nights(tmp_path: Path) -> None:
    path = tmp_path / "v3.sqlite3"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:3]:
        for statement in migration:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO users VALUES (1001, 'Alice', 'en', 10, 10, 0)")
    conn.execute("INSERT INTO groups VALUES (-100, 'Club', 10)")
    conn.execute(
        "INSERT INTO movie_nights (night_id, chat_id, filter, created_by, created_at) "
        "VALUES (7, -100, '', 1001, 10)"
    )
    conn.commit()
    conn.close()
    store = await Storage.open(path)
    try:
        assert await store.ballot(7) == Ballot(7, (), None, None, None)
        assert await store.open_vote(7, [(50, 4.0), (1, 3.0)]) is True
        night = await store.night(7)
        assert night is not None and night.status == "voting"
    finally:
        await store.close()
