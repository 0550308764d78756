"""The ml-latest / ML-25m CSV layout, with quoting and optional links."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recsys.data.errors import DataFormatError
from recsys.data.readers import csv as csv_reader
from recsys.data.types import RATING_DTYPES

Write = Callable[..., Path]
RATINGS = (
    "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,6,0.5,964982224\n"
)
MOVIES = """movieId,title,genres
1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
3,"City of Lost Children, The (Cité des enfants perdus, La) (1995)",Drama|Fantasy|Sci-Fi
6,"Heat (1995)",Action|Crime|Thriller
7,Babylon 5,(no genres listed)
"""
LINKS = "movieId,imdbId,tmdbId\n1,0114709,862\n3,0112682,\n99,0000001,1\n"


@pytest.fixture
def release(write: Write) -> Path:
    write("ml-latest-small/ratings.csv", RATINGS)
    write("ml-latest-small/links.csv", LINKS)
    return write("ml-latest-small/movies.csv", MOVIES).parent


def test_reads_ratings_and_catalogue(release: Path) -> None:
    dataset = csv_reader.read(release)
    assert dataset.name == "ml-latest-small"
    assert dataset.ratings.dtypes.astype(str).to_dict() == RATING_DTYPES
    assert dataset.ratings["rating"].tolist() == [4.0, 4.5, 0.5]
    catalog = dataset.catalog
    assert catalog.label(3) == "The City of Lost Children (La Cité des enfants perdus) (1995)"
    assert catalog.label(6) == "Heat (1995)"
    assert (catalog.title(7), catalog.year(7), catalog.genres(7)) == ("Babylon 5", None, ())


def test_links_fill_imdb_and_tmdb_ids(release: Path) -> None:
    frame = csv_reader.read(release).catalog.frame
    assert str(frame["tmdb_id"].dtype) == "Int64"
    assert frame.at[1, "imdb_id"] == 114709
    assert frame.at[1, "tmdb_id"] == 862
    assert frame.at[3, "imdb_id"] == 112682
    assert frame["tmdb_id"].isna().tolist() == [False, True, True, True]
    assert 99 not in frame.index  # a link for a film the catalogue lacks is ignored
    catalog = csv_reader.read(release).catalog
    assert (catalog.imdb_id(1), catalog.tmdb_id(1), catalog.imdb_url(1)) == (114709, 862, None)
    assert catalog.tmdb_id(3) is None


def test_without_links_the_ids_are_missing(release: Path) -> None:
    (release / "links.csv").unlink()
    frame = csv_reader.read(release).catalog.frame
    assert frame[["imdb_id", "tmdb_id"]].isna().all().all()


@pytest.mark.parametrize(
    ("file", "content", "where", "message"),
    [
        (
            "ratings.csv",
            "user,movie,rating,timestamp\n1,1,4,1\n",
            "ratings.csv: line 1",
            "expected the header 'userId,movieId,rating,timestamp'",
        ),
        (
            "ratings.csv",
            RATINGS + "3,1\n",
            "ratings.csv: line 5",
            "expected 4 fields, found 2",
        ),
        ("ratings.csv", RATINGS + "3,1,4.0,964982703,x\n", "ratings.csv: line 5", "found 5"),
        (
            "ratings.csv",
            RATINGS + "3,tt1,4.0,964982703\n",
            "ratings.csv: line 5",
            "item_id 'tt1' is not a whole number",
        ),
        (
            "ratings.csv",
            RATINGS + "3,1,,964982703\n",
            "ratings.csv: line 5",
            "rating '' is not a number",
        ),
        ("ratings.csv", "userId,movieId,rating,timestamp\n", "ratings.csv", "empty file"),
        ("ratings.csv", "", "ratings.csv: line 1", "empty file"),
        (
            "movies.csv",
            MOVIES + "8,Two Fields (1999)\n",
            "movies.csv: line 6",
            "expected 3 ','-separated fields, found 2",
        ),
        (
            "movies.csv",
            MOVIES + '8,"Unclosed (1999),Drama\n9,Film,Drama\n',
            "movies.csv: line 6",
            "bad CSV quoting",
        ),
        (
            "movies.csv",
            MOVIES + "x8,Film (1999),Drama\n",
            "movies.csv: line 6",
            "movieId 'x8' is not a whole number",
        ),
        (
            "movies.csv",
            MOVIES + "1,Toy Story again (1995),Comedy\n",
            "movies.csv: line 6",
            "item id 1 appears twice",
        ),
        ("movies.csv", "movieId,title,genres\n", "movies.csv", "empty file"),
        (
            "links.csv",
            LINKS + "4,tt0113041,1\n",
            "links.csv: line 5",
            "imdbId 'tt0113041' is not a whole number",
        ),
        ("links.csv", "movieId,imdbId\n1,0114709\n", "links.csv: line 1", "expected the header"),
    ],
)
def test_damage_is_reported_with_file_and_line(
    write: Write, release: Path, file: str, content: str, where: str, message: str
) -> None:
    write(f"ml-latest-small/{file}", content)
    with pytest.raises(DataFormatError) as caught:
        csv_reader.read(release)
    assert where in str(caught.value)
    assert message in str(caught.value)


def test_a_quoted_field_spanning_lines_keeps_later_line_numbers_right(
    write: Write, release: Path
) -> None:
    write("ml-latest-small/movies.csv", MOVIES + '8,"Two\nLines (1999)",Drama\n9,Bad\n')
    with pytest.raises(DataFormatError, match=r"movies.csv: line 8: expected 3"):
        csv_reader.read(release)
