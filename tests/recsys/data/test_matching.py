"""The matcher finds a film named by another list, and declines rather than guesses."""

from __future__ import annotations

import pytest

from recsys.data.matching import Entry, Matcher, main_part, title_key, title_keys
from recsys.data.types import Catalog


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("The Shawshank Redemption", "Shawshank Redemption, The"),
        ("Amélie", "Amelie"),
        ("Schindler's List", "Schindler’s List"),
        ("Lock, Stock & Two Smoking Barrels", "Lock, Stock and Two Smoking Barrels"),
        ("WALL·E", "WALL-E"),
        ("Léon: The Professional", "Leon: The Professional"),
        ("Mr. Smith Goes to Washington", "Mr Smith Goes to Washington"),
        ("Ærø", "aero"),
        ("Twelve Monkeys", "12 Monkeys"),
        ("The Godfather: Part II", "The Godfather Part 2"),
        ("Rocky V", "Rocky 5"),
        ("Ocean's Eleven", "Ocean's 11"),
    ],
)
def test_spellings_of_one_title_share_a_key(a: str, b: str) -> None:
    assert title_key(a) == title_key(b)


def test_titles_that_differ_keep_different_keys() -> None:
    assert title_key("Alien") != title_key("Aliens")
    assert title_key("Die Hard") == "die hard"  # only English articles are dropped
    assert title_key("Alien 3") != title_key("Alien")
    assert title_key("V for Vendetta") == "v for vendetta"  # a letter alone is a number last


def test_alternative_titles_and_subtitles() -> None:
    assert title_keys("Seven (a.k.a. Se7en)") == ["7", "se7en"]
    assert main_part("Star Wars: Episode IV - A New Hope") == "Star Wars"
    assert main_part("Heat") == "Heat"


CATALOG = Catalog.from_columns(
    [1, 2, 3, 4, 5, 6, 7, 8],
    [
        "Heat",
        "Heat",
        "Star Wars: Episode IV - A New Hope",
        "Amélie (Fabuleux destin d'Amélie Poulain, Le)",
        "Psycho",
        "Psycho",
        "The Godfather",
        "Twelve Monkeys (a.k.a. 12 Monkeys)",
    ],
    [1986, 1995, 1977, 2001, 1960, 1998, 1972, 1995],
    [(), (), (), (), (), (), (), ()],
    imdb_ids=[None, 113277, 76759, None, None, None, None, None],
)


@pytest.mark.parametrize(
    ("entry", "item"),
    [
        (Entry("whatever", 1900, imdb_id=113277), 2),  # the IMDb id wins over the title
        (Entry("Heat", 1995), 2),
        (Entry("Heat", 1986), 1),
        (Entry("Heat", 1996), 2),  # a year off
        (Entry("Star Wars", 1977), 3),  # the catalogue's subtitle
        (Entry("Amelie", 2001), 4),
        (Entry("Le Fabuleux destin d'Amélie Poulain", 2002), 4),  # alternative title
        (Entry("Godfather, The", 1972), 7),
        (Entry("The Godfathr", 1972), 7),  # a typo, same year
        (Entry("12 Monkeys", 1995), 8),
        (Entry("Twelve Monkeys", 1995), 8),
        (Entry("Psycho", 1960), 5),
    ],
)
def test_matches(entry: Entry, item: int) -> None:
    assert Matcher.from_catalog(CATALOG).match(entry) == item


@pytest.mark.parametrize(
    "entry",
    [
        Entry("Heat", None),  # two films called Heat, no year to choose
        Entry("Heat", 1990),  # too far from either
        Entry("Heat 2", 1995),
        Entry("The Godfather Part II", 1974),
        Entry("", 1995),
        Entry("Psycho", 1979),
    ],
)
def test_declines_rather_than_guesses(entry: Entry) -> None:
    assert Matcher.from_catalog(CATALOG).match(entry) is None


def test_movielens_titles_as_filed() -> None:
    """The scale helper re-keys ratings from raw MovieLens rows: the year comes from the title."""
    matcher = Matcher([(10, "Shawshank Redemption, The (1994)", None, None)])
    assert matcher.match(Entry("The Shawshank Redemption", 1994)) == 10
    assert matcher.match_all([Entry("Shawshank Redemption", 1995), Entry("Shawshank", 1994)]) == [
        10,
        None,
    ]


def test_a_film_named_by_its_subtitle_and_how_each_was_found() -> None:
    matcher = Matcher(
        [
            (1, "Star Wars: Episode V - The Empire Strikes Back (1980)", None, None),
            (2, "Heat (1995)", None, 113277),
            (3, "Shawshank Redemption, The (1994)", None, None),
        ]
    )
    assert matcher.match_how(Entry("The Empire Strikes Back", 1980)) == (1, "subtitle")
    assert matcher.match_how(Entry("The Empire Strikes Back", 1981)) == (None, "none")
    assert matcher.match_how(Entry("x", None, 113277)) == (2, "imdb")
    assert matcher.match_how(Entry("Heat", 1996)) == (2, "title")
    assert matcher.match_how(Entry("The Shawshank Redemptoin", 1995)) == (3, "spelling")


def test_an_entry_whose_imdb_id_differs_from_the_films_is_another_film() -> None:
    matcher = Matcher([(1, "Heat (1986)", None, 91183), (2, "Alien (1979)", None, None)])
    assert matcher.match(Entry("Heat", 1986, imdb_id=12345)) is None
    assert matcher.match(Entry("Heat", 1986)) == 1
    assert matcher.match(Entry("Alien", 1979, imdb_id=78748)) == 2  # the film has no link
