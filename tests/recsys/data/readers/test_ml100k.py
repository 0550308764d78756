"""The original ML-100k layout on a three-film copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recsys.data.errors import DataFormatError
from recsys.data.readers import ml100k
from recsys.data.types import RATING_DTYPES

Write = Callable[..., Path]
URL = "http://us.imdb.com/M/title-exact?x"


def item_line(item_id: int, title: str, date: str, *genres: str) -> str:
    flags = "|".join("1" if g in genres else "0" for g in ml100k.STANDARD_GENRES)
    return f"{item_id}|{title}|{date}||{URL}|{flags}"


ITEMS = (
    "\n".join(
        [
            item_line(1, "Toy Story (1995)", "01-Jan-1995", "Animation", "Children's", "Comedy"),
            item_line(267, "unknown", "", "unknown"),
            item_line(543, "Misérables, Les (1995)", "01-Jan-1995", "Drama", "Musical"),
            item_line(1373, "Good Morning", "01-Jan-1971", "unknown"),
        ]
    )
    + "\n"
)
RATINGS = "196\t1\t3\t881250949\n186\t543\t5\t891717742\n22\t999\t1\t878887116\n"
GENRES = "".join(f"{g}|{i}\n" for i, g in enumerate(ml100k.STANDARD_GENRES)) + "\n"


@pytest.fixture
def release(write: Write) -> Path:
    write("ml-100k/u.data", RATINGS)
    write("ml-100k/u.item", ITEMS, encoding="latin-1")
    return write("ml-100k/u.genre", GENRES).parent


def test_reads_ratings_with_the_contract_dtypes(release: Path) -> None:
    dataset = ml100k.read(release)
    assert dataset.name == "ml-100k"
    assert list(dataset.ratings.columns) == list(RATING_DTYPES)
    assert dataset.ratings.dtypes.astype(str).to_dict() == RATING_DTYPES
    assert dataset.ratings["item_id"].tolist() == [1, 543, 999]


def test_reads_the_catalogue_with_clean_titles_years_and_genres(release: Path) -> None:
    catalog = ml100k.read(release).catalog
    assert catalog.item_ids.tolist() == [1, 267, 543, 1373]
    assert catalog.label(1) == "Toy Story (1995)"
    assert catalog.genres(1) == ("Animation", "Children's", "Comedy")
    assert catalog.title(543) == "Les Misérables"  # latin-1 decoded
    assert (catalog.title(267), catalog.year(267), catalog.genres(267)) == ("Unknown", None, ())
    assert catalog.year(1373) == 1971  # from the release date: the title has no year
    assert catalog.genres(1373) == ()
    assert catalog.frame["imdb_id"].isna().all()
    assert str(catalog.frame["year"].dtype) == "Int16"


def test_a_rating_for_an_unlisted_film_is_kept_without_a_catalogue_row(release: Path) -> None:
    dataset = ml100k.read(release)
    assert 999 in dataset.ratings["item_id"].to_numpy()
    assert 999 not in dataset.catalog


def test_genre_names_come_from_u_genre(write: Write, release: Path) -> None:
    renamed = GENRES.replace("Comedy|5", "Funny|5")
    write("ml-100k/u.genre", renamed)
    assert ml100k.read(release).catalog.genres(1) == ("Animation", "Children's", "Funny")


def test_without_u_genre_the_standard_names_are_used(release: Path) -> None:
    (release / "u.genre").unlink()
    assert ml100k.read(release).catalog.genres(543) == ("Drama", "Musical")


@pytest.mark.parametrize(
    ("file", "content", "where", "message"),
    [
        ("u.data", RATINGS + "7\t1\t3\n", "u.data: line 4", "expected 4 fields"),
        ("u.data", "7\tabc\t3\t1\n", "u.data: line 1", "item_id 'abc' is not a whole number"),
        ("u.data", "7\t1\tgood\t1\n", "u.data: line 1", "rating 'good' is not a number"),
        ("u.data", "", "u.data", "empty file"),
        (
            "u.item",
            ITEMS + "5|Copycat (1995)|01-Jan-1995\n",
            "u.item: line 5",
            "expected 24 '|'-separated fields",
        ),
        ("u.item", "x" + ITEMS, "u.item: line 1", "item id 'x1' is not a whole number"),
        (
            "u.item",
            ITEMS + item_line(1, "Again (1995)", ""),
            "u.item: line 5",
            "item id 1 appears twice (first on line 1)",
        ),
        (
            "u.item",
            ITEMS.replace("|0|0|0|1", "|0|0|0|x", 1),
            "u.item: line 1",
            "genre flags must be 0 or 1",
        ),
        ("u.item", "\n", "u.item", "empty file"),
        (
            "u.genre",
            "unknown|0\nAction|x\n",
            "u.genre: line 2",
            "genre index 'x' is not a whole number",
        ),
        ("u.genre", "unknown|0\nAction|2\n", "u.genre", "are not 0, 1, 2"),
    ],
)
def test_damage_is_reported_with_file_and_line(
    write: Write, release: Path, file: str, content: str, where: str, message: str
) -> None:
    write(f"ml-100k/{file}", content)
    with pytest.raises(DataFormatError) as caught:
        ml100k.read(release)
    assert where in str(caught.value)
    assert message in str(caught.value)


def test_a_flag_count_that_does_not_match_u_genre_is_an_error(write: Write, release: Path) -> None:
    write("ml-100k/u.genre", "unknown|0\nAction|1\n")
    with pytest.raises(DataFormatError, match=r"u.item: line 1: expected 7 '\|'-separated"):
        ml100k.read(release)


@pytest.mark.parametrize("missing", ["u.data", "u.item"])
def test_a_missing_file_is_named(release: Path, missing: str) -> None:
    (release / missing).unlink()
    with pytest.raises(DataFormatError, match=f"{missing}: missing required file"):
        ml100k.read(release)


def test_the_imdb_address_of_u_item_is_kept_and_made_a_valid_url(write: Write) -> None:
    lines = [
        item_line(1, "Toy Story (1995)", "01-Jan-1995", "Comedy").replace(
            URL, "http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
        ),
        item_line(2, "Misérables, Les (1995)", "01-Jan-1995", "Drama").replace(
            URL, "http://us.imdb.com/M/title-exact?Misérables, Les (1995)"
        ),
        item_line(3, "Unknown (1995)", "", "Drama").replace(URL, ""),
        item_line(4, "Odd (1995)", "", "Drama").replace(URL, "javascript:alert(1)"),
    ]
    write("ml-100k/u.data", RATINGS)
    folder = write("ml-100k/u.item", "\n".join(lines) + "\n", encoding="latin-1").parent
    catalog = ml100k.catalog(folder)
    assert catalog.imdb_url(1) == "http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
    assert catalog.imdb_url(2) == "http://us.imdb.com/M/title-exact?Mis%C3%A9rables,%20Les%20(1995)"
    assert catalog.imdb_url(3) is None and catalog.imdb_url(4) is None
    assert catalog.imdb_id(1) is None and catalog.tmdb_id(1) is None
