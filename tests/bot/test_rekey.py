"""Switching CATALOGUE keeps people's ratings, watchlists and dismissals: from ml-100k's ids to
an ml-latest-small-format release's, unmatched films kept aside, and back again."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.runtime import follow_catalogue
from bot.storage import Storage
from bot.storage.rekey import rekey
from recsys.data import Dataset, default_data_dir, load_catalog

# movieId, title as MovieLens files it, IMDb id. Ids differ from ml-100k's, and 50 is another
# film there (Star Wars in ml-100k).
FILMS = (
    (1, "Toy Story (1995)", 114709),
    (10, "GoldenEye (1995)", 113189),
    (32, "Twelve Monkeys (a.k.a. 12 Monkeys) (1995)", 114746),
    (50, "Usual Suspects, The (1995)", 114814),
    (260, "Star Wars: Episode IV - A New Hope (1977)", 76759),
    (608, "Fargo (1996)", 116282),
    (858, "Godfather, The (1972)", 68646),
)
ALICE, BOB = 1001, 1002


@pytest.fixture
def latest_small(tmp_path: Path) -> Path:
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    (folder / "movies.csv").write_text(
        "movieId,title,genres\n" + "".join(f'{i},"{t}",Drama\n' for i, t, _ in FILMS)
    )
    (folder / "links.csv").write_text(
        "movieId,imdbId,tmdbId\n" + "".join(f"{i},{imdb},{i + 5}\n" for i, _, imdb in FILMS)
    )
    (folder / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n" + "".join(f"1,{i},4.0,1\n" for i, _, _ in FILMS)
    )
    return folder


async def stored(database: Path) -> dict[str, object]:
    storage = await Storage.open(database)
    try:
        return {
            "alice": {r.item_id: r.stars for r in await storage.ratings(ALICE)},
            "bob": {r.item_id: r.stars for r in await storage.ratings(BOB)},
            "watchlist": await storage.watchlist(ALICE),
            "dismissed": await storage.dismissed(ALICE),
        }
    finally:
        await storage.close()


def unmatched(database: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(database) as conn:
        return conn.execute(
            "SELECT user_id, kind, catalogue, item_id, title, year FROM unmatched"
        ).fetchall()


async def test_switching_catalogue_re_keys_people_s_films_and_keeps_what_does_not_match(
    tmp_path: Path, latest_small: Path, movielens: Dataset
) -> None:
    database, data = tmp_path / "bot.sqlite3", default_data_dir()
    assert rekey(database, movielens.catalog, "ml-100k", "ml-100k", data) is None  # recorded
    storage = await Storage.open(database)
    for user in (ALICE, BOB):
        await storage.ensure_user(user, "Someone", "en")
    await storage.rate(ALICE, 1, 4.5)  # Toy Story
    await storage.rate(ALICE, 50, 5.0)  # Star Wars
    await storage.rate(ALICE, 3, 2.0)  # Four Rooms: not in the new catalogue
    await storage.watchlist_add(ALICE, 100)  # Fargo
    await storage.dismiss(ALICE, 7, "not_interested")  # Twelve Monkeys
    await storage.rate(BOB, 127, 4.0)  # The Godfather
    await storage.close()

    new = load_catalog(latest_small)
    done = rekey(database, new, "ml-latest-small", str(latest_small), data)

    assert done is not None and (done.matched, done.unmatched, done.restored) == (5, 1, 0)
    assert await stored(database) == {
        "alice": {1: 4.5, 260: 5.0},
        "bob": {858: 4.0},
        "watchlist": [608],
        "dismissed": {32: "not_interested"},
    }
    assert unmatched(database) == [(ALICE, "rating", "ml-100k", 3, "Four Rooms", 1995)]
    assert "5 stored" in done.describe("ml-latest-small") and "1 kept aside" in done.describe(
        "ml-latest-small"
    )
    # Started again on the same catalogue: nothing moves.
    assert rekey(database, new, "ml-latest-small", str(latest_small), data) is None

    back = rekey(database, movielens.catalog, "ml-100k", "ml-100k", data)
    assert back is not None and (back.matched, back.unmatched, back.restored) == (5, 0, 1)
    assert (await stored(database))["alice"] == {1: 4.5, 50: 5.0, 3: 2.0}
    assert unmatched(database) == []


async def test_a_previous_catalogue_that_is_gone_keeps_every_film_aside(
    tmp_path: Path, latest_small: Path
) -> None:
    database = tmp_path / "bot.sqlite3"
    rekey(database, load_catalog(latest_small), "ml-latest-small", str(latest_small), tmp_path)
    storage = await Storage.open(database)
    await storage.ensure_user(ALICE, "Alice", "en")
    await storage.rate(ALICE, 50, 4.0)
    await storage.close()
    elsewhere = latest_small.rename(tmp_path / "moved")  # noqa: ASYNC240 (a test's setup)

    done = rekey(database, load_catalog(elsewhere), "moved", str(elsewhere), tmp_path)

    assert done is not None and (done.matched, done.unmatched) == (0, 1)
    assert (await stored(database))["alice"] == {}
    assert unmatched(database) == [(ALICE, "rating", "ml-latest-small", 50, None, None)]


async def test_the_start_up_log_says_how_many_films_followed_the_change(
    tmp_path: Path, latest_small: Path, movielens: Dataset, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "bot.sqlite3"
    before = load_settings(None, database_path=database, data_dir=default_data_dir())
    await follow_catalogue(before, movielens.catalog)  # CATALOGUE=ml-100k, the default
    storage = await Storage.open(database)
    await storage.ensure_user(ALICE, "Alice", "en")
    await storage.rate(ALICE, 50, 5.0)
    await storage.rate(ALICE, 3, 2.0)
    await storage.close()
    after = before.model_copy(update={"catalogue": str(latest_small)})
    with caplog.at_level(logging.WARNING, logger="bot.runtime"):
        await follow_catalogue(after, load_catalog(latest_small))
    assert "from ml-100k to ml-latest-small: 1 stored" in caplog.text
    assert "1 kept aside unmatched" in caplog.text
