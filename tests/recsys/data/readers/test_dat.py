"""The ``::``-separated ML-1m / ML-10m layout, in both of its encodings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recsys.data.errors import DataFormatError
from recsys.data.readers import dat
from recsys.data.types import RATING_DTYPES

Write = Callable[..., Path]
RATINGS = "1::1193::5::978300760\n1::661::3.5::978302109\n2::3408::4::978300275\n"
MOVIES = (
    "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n"
    "661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"
    "3408::Misérables, Les (1998)::Drama\n"
    "65006::Impulse (2008)::(no genres listed)\n"
)


@pytest.fixture
def release(write: Write) -> Path:
    write("ml-1m/ratings.dat", RATINGS)
    return write("ml-1m/movies.dat", MOVIES, encoding="latin-1").parent


def test_reads_ratings_and_catalogue(release: Path) -> None:
    dataset = dat.read(release)
    assert dataset.name == "ml-1m"
    assert dataset.ratings.dtypes.astype(str).to_dict() == RATING_DTYPES
    assert dataset.ratings["rating"].tolist() == [5.0, 3.5, 4.0]
    assert dataset.ratings["timestamp"].tolist() == [978300760, 978302109, 978300275]
    catalog = dataset.catalog
    assert catalog.label(1193) == "One Flew Over the Cuckoo's Nest (1975)"
    assert catalog.genres(661) == ("Animation", "Children's", "Musical")
    assert catalog.genres(65006) == ()


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8"])
def test_both_encodings_give_the_same_titles(write: Write, release: Path, encoding: str) -> None:
    write("ml-1m/movies.dat", MOVIES, encoding=encoding)
    assert dat.read(release).catalog.label(3408) == "Les Misérables (1998)"


@pytest.mark.parametrize(
    ("file", "content", "where", "message"),
    [
        (
            "ratings.dat",
            RATINGS + "3::1193::5\n",
            "ratings.dat: line 4",
            "expected 4 fields, found 3",
        ),
        ("ratings.dat", RATINGS + "3:1193::5::978300760\n", "ratings.dat: line 4", "found 3"),
        (
            "ratings.dat",
            "1::1193::five::978300760\n",
            "ratings.dat: line 1",
            "rating 'five' is not a number",
        ),
        (
            "ratings.dat",
            "1::M1193::5::978300760\n",
            "ratings.dat: line 1",
            "item_id 'M1193' is not a whole number",
        ),
        ("ratings.dat", "", "ratings.dat", "empty file"),
        (
            "movies.dat",
            MOVIES + "5::Father of the Bride Part II (1995)\n",
            "movies.dat: line 5",
            "expected 3 '::'-separated fields, found 2",
        ),
        (
            "movies.dat",
            "one::Toy Story (1995)::Comedy\n",
            "movies.dat: line 1",
            "movie id 'one' is not a whole number",
        ),
        ("movies.dat", "", "movies.dat", "empty file"),
    ],
)
def test_damage_is_reported_with_file_and_line(
    write: Write, release: Path, file: str, content: str, where: str, message: str
) -> None:
    write(f"ml-1m/{file}", content)
    with pytest.raises(DataFormatError) as caught:
        dat.read(release)
    assert where in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_catalogue_is_named(release: Path) -> None:
    (release / "movies.dat").unlink()
    with pytest.raises(DataFormatError, match=r"movies.dat: missing required file"):
        dat.read(release)
