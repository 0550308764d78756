"""The title index's shortlist: scoring only the titles that share the most letter triples
with the query must find what scoring every title finds."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz

from bot import search
from bot.search import TitleIndex, normalise
from recsys.data import Catalog, Dataset


@pytest.fixture(scope="module")
def index(movielens: Dataset) -> TitleIndex:
    return TitleIndex(movielens.catalog)


def _queries(titles: list[str], seed: int = 0) -> list[str]:
    """What people type: half a title, a title with a letter missing, one word of it,
    its words shuffled."""
    rng = random.Random(seed)
    queries = []
    for title in rng.sample(titles, 300):
        words = title.split()
        letters = list(title.lower())
        del letters[rng.randrange(len(letters))]
        queries += [
            " ".join(words[: max(1, len(words) // 2)]),
            "".join(letters),
            rng.choice(words),
            " ".join(rng.sample(words, len(words))),
        ]
    return queries


def test_the_shortlist_finds_the_best_match_of_a_full_scan(
    index: TitleIndex, movielens: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles = dict(movielens.catalog.frame["title"])
    queries = _queries(list(titles.values()))

    def best_score(query: str) -> float | None:
        found = index.search(query, limit=1)
        if not found:
            return None
        return fuzz.WRatio(normalise(query), normalise(titles[found[0]]))

    shortlisted = [best_score(q) for q in queries]
    monkeypatch.setattr(search, "SHORTLIST", 10**9)  # every title scored
    scanned = [best_score(q) for q in queries]
    # Ties between equally good titles may break differently; the match found may not be worse.
    worse = [
        q for q, a, b in zip(queries, shortlisted, scanned, strict=True) if (a or 0) < (b or 0)
    ]
    assert len(worse) <= len(queries) // 100, worse


def test_a_query_sharing_no_letters_finds_nothing(index: TitleIndex) -> None:
    assert index.search("ǂǂǂ ꙮꙮ") == []


@pytest.mark.parametrize(
    "query", ["the matrix", "Amélie", "spirited away", "Toy Story 3", "the incredibles", "up"]
)
def test_a_film_the_catalogue_lacks_gets_no_guesses(index: TitleIndex, query: str) -> None:
    assert index.search(query) == []


def test_a_year_past_the_catalogue_finds_nothing_and_its_own_year_wins(
    index: TitleIndex, movielens: Dataset
) -> None:
    assert index.search("fargo 2003") == []
    assert [movielens.catalog.label(i) for i in index.search("fargo 1996", 1)] == ["Fargo (1996)"]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("teh big bang theory", "The Big Bang Theory"),  # the article itself mistyped
        ("jurassic parc", "Jurassic Park"),
        ("shawshank", "The Shawshank Redemption"),  # one word of a longer title
        ("star wras", "Star Wars"),
        ("empire strikes back", "The Empire Strikes Back"),
        ("fourr rooms", "Four Rooms"),  # a number word mistyped: the title as spelt
    ],
)
def test_typos_and_parts_of_catalogue_titles_are_still_found(
    index: TitleIndex, movielens: Dataset, query: str, title: str
) -> None:
    found = index.search(query, 2)
    assert title in [movielens.catalog.title(i) for i in found]


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("12 monkeys", "Twelve Monkeys"),  # digits for a number word
        ("twelve monkeys 1995", "Twelve Monkeys"),
        ("godfather 2", "The Godfather: Part II"),  # "Part" left out, a Roman numeral
        ("godfather part ii", "The Godfather: Part II"),
        ("richard 3", "Richard III"),
        ("evil dead 2", "Evil Dead II"),
        ("2001 a space odyssey", "2001: A Space Odyssey"),  # a number like a year, not one
        ("2001: a space odyssey 1968", "2001: A Space Odyssey"),
        ("blues brothers 2000 1998", "Blues Brothers 2000"),  # the last one is the year
        ("star wars 1977 1977", "Star Wars"),
        ("heat 1995", "Heat"),
    ],
)
def test_numbers_are_found_however_they_are_written(
    index: TitleIndex, movielens: Dataset, query: str, title: str
) -> None:
    found = index.lookup(query)
    assert found.sure
    assert movielens.catalog.title(found.items[0]) == title


def test_a_number_still_tells_films_apart(index: TitleIndex, movielens: Dataset) -> None:
    assert [movielens.catalog.title(i) for i in index.search("die hard 2", 1)] == ["Die Hard 2"]
    assert [movielens.catalog.title(i) for i in index.search("jaws 2", 1)] == ["Jaws 2"]
    assert index.search("godfather 3") == []  # Part III is not in ml-100k
    assert index.search("terminator 3") == []


def test_not_found_names_the_catalogue_and_where_it_stops(index: TitleIndex) -> None:
    assert index.not_found("  The   Matrix ") == (
        "I don't know “The Matrix”. My films come from ml-100k, which stops in 1998; check "
        "the spelling, or try a film from before then."
    )


def test_a_year_finds_its_film_among_many_namesakes() -> None:
    years = list(range(1900, 2000))
    catalog = Catalog.from_columns(list(range(1, 101)), ["Hamlet"] * 100, years, [("Drama",)] * 100)
    index = TitleIndex(catalog)
    assert index.search("hamlet 1948", 1) == [49]


@pytest.mark.parametrize(
    ("query", "sure", "first"),
    [
        ("toy story", True, "Toy Story"),
        ("star wars", True, "Star Wars"),  # "Star Maps" is two typos off: no rival
        ("alien", True, "Alien"),  # "Aliens" is one typo off, "Alien" none
        ("chasing amy", True, "Chasing Amy"),  # listed twice by ml-100k: one film
        ("cape fear 1962", True, "Cape Fear"),
        ("cape fear", False, "Cape Fear"),  # 1991 and 1962
        ("star", False, "Star Wars"),  # a word of many titles
        ("romeo juliet", False, "William Shakespeare's Romeo and Juliet"),
    ],
)
def test_lookup_is_sure_only_of_a_film_clearly_named(
    index: TitleIndex, movielens: Dataset, query: str, sure: bool, first: str
) -> None:
    found = index.lookup(query)
    assert found.sure is sure
    assert movielens.catalog.frame.loc[found.items[0], "title"] == first
