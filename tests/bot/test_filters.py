"""/recommend filters: every genre named when one is unknown, two genres together."""

from __future__ import annotations

import pytest

from bot.filters import Filter, FilterError, parse_filter, parse_key
from recsys.data import Dataset


@pytest.fixture(scope="module")
def genres(movielens: Dataset) -> list[str]:
    return movielens.catalog.all_genres


def test_an_unknown_genre_lists_every_genre(genres: list[str]) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter("xyzzy", genres)
    message = str(caught.value)
    assert "xyzzy" in message
    for genre in genres:
        assert genre.lower() in message, genre
    assert "horror comedy" in message and "1990s" in message


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("horror comedy", ("Horror", "Comedy")),
        ("horror and comedy", ("Horror", "Comedy")),
        ("scifi romance 1980s", ("Sci-Fi", "Romance")),
        ("science fiction", ("Sci-Fi",)),
        ("comedy", ("Comedy",)),
    ],
)
def test_one_or_two_genres(genres: list[str], text: str, wanted: tuple[str, ...]) -> None:
    chosen = parse_filter(text, genres)
    assert chosen.genres == wanted
    assert parse_key(chosen.key(genres), genres) == chosen
    assert len(chosen.key(genres)) <= 16


def test_two_genres_keep_the_films_of_both(movielens: Dataset, genres: list[str]) -> None:
    catalog = movielens.catalog
    both = parse_filter("horror comedy", genres).candidates(catalog)
    assert both is not None and len(both) > 0
    for item in both:
        assert {"Horror", "Comedy"} <= set(catalog.genres(int(item)))
    assert len(both) < len(catalog.filter("Horror")) and len(both) < len(catalog.filter("Comedy"))
    assert parse_filter("horror comedy", genres).describe() == "horror and comedy"


def test_old_keys_still_parse(genres: list[str]) -> None:
    assert parse_key("g5", genres) == Filter((genres[5],))
    assert parse_key("gy1990-1999", genres) == Filter((), (1990, 1999))


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("1990s", "1990s"),
        ("1994", "1994"),
        ("comedy 1990s", "comedy from the 1990s"),
        ("comedy 1994", "comedy from 1994"),  # was "comedy from the 1994"
        ("drama 1980-1985", "drama from 1980–1985"),
        ("horror comedy 70s", "horror and comedy from the 1970s"),
    ],
)
def test_a_filter_reads_as_english(genres: list[str], text: str, described: str) -> None:
    assert parse_filter(text, genres).describe() == described
