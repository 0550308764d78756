"""The block reader: right values and dtypes, and the exact line of every kind of damage."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recsys.data.errors import DataFormatError
from recsys.data.readers.numeric import RATING_FIELDS, Field, read_numeric_table

Write = Callable[..., Path]
GOOD = "1\t10\t4\t881250949\n2\t20\t3.5\t881250950\n"


def test_reads_values_with_their_dtypes(write: Write) -> None:
    columns = read_numeric_table(write("u.data", GOOD), RATING_FIELDS, sep="\t")
    assert columns["user_id"].tolist() == [1, 2]
    assert columns["rating"].tolist() == [4.0, 3.5]
    assert [str(columns[f.name].dtype) for f in RATING_FIELDS] == [
        "int32",
        "int32",
        "float32",
        "int64",
    ]


def test_blocks_join_up_and_keep_blank_lines_out(write: Write) -> None:
    text = "".join(f"{i}\t{i + 1}\t3\t{1000 + i}\r\n" for i in range(1, 200)) + "\n"
    columns = read_numeric_table(write("r", text), RATING_FIELDS, sep="\t", block_bytes=64)
    assert columns["user_id"].tolist() == list(range(1, 200))
    assert columns["timestamp"][-1] == 1199


def test_skips_header_lines_and_applies_the_transform(write: Write) -> None:
    path = write("ratings.dat", "# header\n1::10::5::978300760\n2::20::4::978300761")
    columns = read_numeric_table(
        path, RATING_FIELDS, sep="\t", skip_lines=1, transform=lambda b: b.replace(b"::", b"\t")
    )
    assert columns["item_id"].tolist() == [10, 20]


def test_unwanted_columns_are_skipped(write: Write) -> None:
    fields = [Field("user_id", "int32"), Field("note", None), Field("rating", "float32")]
    columns = read_numeric_table(write("r", "1\tnice film\t4\n"), fields, sep="\t")
    assert set(columns) == {"user_id", "rating"}


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("3\t30\t4", "expected 4 fields, found 3"),
        ("3\t30\t4\t1\t9", "expected 4 fields, found 5"),
        ("3\tx30\t4\t1", "item_id 'x30' is not a whole number"),
        ("3\t30.5\t4\t1", "item_id '30.5' is not a whole number"),
        ("3\t30\tfour\t1", "rating 'four' is not a number"),
        ("3\t30\tnan\t1", "rating 'nan' is not a finite number"),
        ("3\t30\t\t1", "rating '' is not a number"),
        ("99999999999\t30\t4\t1", "user_id 99999999999 is out of range for int32"),
    ],
)
def test_names_the_bad_line(write: Write, bad_line: str, message: str) -> None:
    # Many lines and tiny blocks, so the bad one sits deep inside a later block.
    lines = [f"{i}\t{i}\t3\t{i}" for i in range(1, 41)]
    lines.insert(29, bad_line)
    path = write("u.data", "\n".join(lines) + "\n")
    with pytest.raises(DataFormatError) as caught:
        read_numeric_table(path, RATING_FIELDS, sep="\t", block_bytes=50)
    assert caught.value.line == 30
    assert str(caught.value) == f"{path}: line 30: {message}"


def test_an_extra_field_on_the_first_line_is_not_taken_for_an_index(write: Write) -> None:
    path = write("u.data", "1\t10\t4\t881250949\t7\n" + GOOD)
    with pytest.raises(DataFormatError, match="line 1: expected 4"):
        read_numeric_table(path, RATING_FIELDS, sep="\t")


def test_line_numbers_count_skipped_header_and_blank_lines(write: Write) -> None:
    path = write("r.csv", "userId,movieId,rating,timestamp\n\n1,2,3,4\n\n1,2,x,4\n")
    with pytest.raises(DataFormatError, match="line 5: rating 'x' is not a number"):
        read_numeric_table(path, RATING_FIELDS, sep=",", skip_lines=1)


@pytest.mark.parametrize("content", ["", "\n\n", "header only\n"])
def test_no_data_lines_is_an_error(write: Write, content: str) -> None:
    path = write("r.csv", content)
    with pytest.raises(DataFormatError, match="empty file"):
        read_numeric_table(path, RATING_FIELDS, sep=",", skip_lines=1)


def test_a_truncated_last_line_is_caught(write: Write) -> None:
    path = write("u.data", GOOD + "3\t3")
    with pytest.raises(DataFormatError, match="line 3: expected 4"):
        read_numeric_table(path, RATING_FIELDS, sep="\t")
