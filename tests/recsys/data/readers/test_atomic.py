"""RecBole's atomic files: typed headers, any column order, year in its own column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recsys.data.errors import DataFormatError
from recsys.data.readers import atomic
from recsys.data.types import RATING_DTYPES

Write = Callable[..., Path]
INTER = (
    "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
    "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116.0\n"
)
ITEMS = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "242\tKolya\t1996\tComedy\n"
    "302\tL.A. Confidential\t1997\tCrime Film-Noir Mystery Thriller\n"
    "377\tHeavyweights\t1994\tChildren's Comedy\n"
    "113\tHorseman on the Roof, The (Hussard sur le toit, Le)\t1995\tDrama\n"
    "267\tunkonwn\tunkonwn\tunknown\n"
)


@pytest.fixture
def release(write: Write) -> Path:
    write("ml-100k/ml-100k.inter", INTER)
    return write("ml-100k/ml-100k.item", ITEMS).parent


def test_reads_ratings_with_the_contract_dtypes(release: Path) -> None:
    dataset = atomic.read(release)
    assert dataset.name == "ml-100k"
    assert dataset.ratings.dtypes.astype(str).to_dict() == RATING_DTYPES
    assert dataset.ratings["timestamp"].tolist() == [881250949, 891717742, 878887116]


def test_reads_titles_years_and_space_separated_genres(release: Path) -> None:
    catalog = atomic.read(release).catalog
    assert catalog.label(242) == "Kolya (1996)"
    assert catalog.genres(377) == ("Children's", "Comedy")
    assert catalog.genres(302) == ("Crime", "Film-Noir", "Mystery", "Thriller")
    assert catalog.label(113) == "The Horseman on the Roof (Le Hussard sur le toit) (1995)"
    assert (catalog.title(267), catalog.year(267), catalog.genres(267)) == ("Unknown", None, ())


def test_columns_may_come_in_any_order_and_extra_ones_are_skipped(write: Write) -> None:
    write(
        "mine/mine.inter",
        "timestamp:float\trating:float\tnote:token_seq\titem_id:token\tuser_id:token\n"
        "881250949\t4.5\tloved it\t242\t196\n",
    )
    write(
        "mine/mine.item",
        "class:token_seq\titem_id:token\tmovie_title:token_seq\nComedy\t242\tKolya (1996)\n",
    )
    dataset = atomic.read(write("mine/README", "").parent)
    assert dataset.name == "mine"
    assert dataset.ratings.iloc[0].tolist() == [196, 242, 4.5, 881250949]
    assert dataset.catalog.label(242) == "Kolya (1996)"  # no year column: taken from the title


@pytest.mark.parametrize(
    ("file", "content", "where", "message"),
    [
        (
            "ml-100k.inter",
            INTER + "1\t2\t3\n",
            "ml-100k.inter: line 5",
            "expected 4 fields",
        ),
        (
            "ml-100k.inter",
            INTER + "1\tabc\t3\t4\n",
            "ml-100k.inter: line 5",
            "item_id 'abc' is not a whole number",
        ),
        (
            "ml-100k.inter",
            "user_id:token\titem_id:token\n1\t2\n",
            "ml-100k.inter: line 1",
            "header lacks the field(s) rating",
        ),
        ("ml-100k.inter", "", "ml-100k.inter: line 1", "empty file"),
        ("ml-100k.inter", INTER.splitlines(keepends=True)[0], "ml-100k.inter", "empty file"),
        (
            "ml-100k.item",
            ITEMS + "5\tCopycat\t1995\n",
            "ml-100k.item: line 7",
            "expected 4 '\\t'-separated fields, found 3",
        ),
        (
            "ml-100k.item",
            ITEMS + "x5\tCopycat\t1995\tCrime\n",
            "ml-100k.item: line 7",
            "item_id 'x5' is not a whole number",
        ),
        (
            "ml-100k.item",
            "item_id:token\tclass:token_seq\n1\tDrama\n",
            "ml-100k.item: line 1",
            "needs the fields item_id and movie_title",
        ),
        (
            "ml-100k.item",
            "item_id:token\titem_id:token\n",
            "ml-100k.item: line 1",
            "empty or repeated",
        ),
    ],
)
def test_damage_is_reported_with_file_and_line(
    write: Write, release: Path, file: str, content: str, where: str, message: str
) -> None:
    write(f"ml-100k/{file}", content)
    with pytest.raises(DataFormatError) as caught:
        atomic.read(release)
    assert where in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_item_file_is_named(release: Path) -> None:
    (release / "ml-100k.item").unlink()
    with pytest.raises(DataFormatError, match=r"ml-100k.item: missing required file"):
        atomic.read(release)


def test_several_inter_files_need_one_named_like_the_folder(write: Write, release: Path) -> None:
    write("ml-100k/other.inter", INTER)
    assert atomic.read(release).name == "ml-100k"
    (release / "ml-100k.inter").rename(release / "third.inter")
    with pytest.raises(DataFormatError, match=r"several .inter files"):
        atomic.read(release)
