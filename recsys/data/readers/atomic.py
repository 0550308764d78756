"""RecBole's atomic files: ``<name>.inter`` (ratings) and ``<name>.item`` (films).

Both are tab-separated with a ``field:type`` header, columns in any order. RecBole keeps the
year in its own ``release_year`` column, so titles come without it (but still with the article
moved to the end), and genres are one space-separated ``token_seq`` ("Children's" is one token).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.cache import cached_ratings
from recsys.data.errors import DataFormatError
from recsys.data.readers.catalog import (
    CatalogRows,
    expect_fields,
    first_line,
    numbered_lines,
    parse_id,
    parse_year,
    require,
    split_genres,
)
from recsys.data.readers.numeric import RATING, Field, read_numeric_table
from recsys.data.titles import clean_title, display_title
from recsys.data.types import Catalog, Dataset, ratings_frame

RATINGS_SUFFIX = ".inter"
ITEMS_SUFFIX = ".item"
# Enough to recognise the format; the reader names a missing ``<stem>.item`` itself.
REQUIRED = (f"*{RATINGS_SUFFIX}",)

# Our column for each RecBole field, and how to parse it; fields not listed are skipped.
_RATING_FIELDS = {
    "user_id": Field("user_id", "int32"),
    "item_id": Field("item_id", "int32"),
    "rating": RATING,
    "timestamp": Field("timestamp", "float64"),  # RecBole types it float
}
_TITLE_FIELDS = ("movie_title", "title")
_GENRE_FIELDS = ("class", "genre")


def read(root: Path, name: str | None = None) -> Dataset:
    """The release in folder ``root`` holding ``<stem>.inter`` and ``<stem>.item``.

    ``name`` defaults to the stem. Ratings of items missing from the ``.item`` file are kept,
    without a catalogue row. A file without a ``timestamp`` field gets timestamp 0.
    """
    stem = find_stem(root)
    ratings_path = require(root / f"{stem}{RATINGS_SUFFIX}")
    ratings = cached_ratings(ratings_path, lambda: read_ratings(ratings_path))
    return Dataset(name or stem, ratings, catalog(root))


def catalog(root: Path) -> Catalog:
    """Only the films of the release in ``root``: no ratings are read."""
    return read_catalog(root / f"{find_stem(root)}{ITEMS_SUFFIX}")


def ratings_head(root: Path, max_bytes: int) -> pd.DataFrame:
    """The ratings in about the first ``max_bytes`` of the ``.inter`` file."""
    return read_ratings(require(root / f"{find_stem(root)}{RATINGS_SUFFIX}"), max_bytes)


def find_stem(root: Path) -> str:
    """The ``<stem>`` of the one ``.inter`` file in ``root`` (or of the one named like it)."""
    stems = sorted(p.stem for p in root.glob(f"*{RATINGS_SUFFIX}") if p.is_file())
    if len(stems) == 1:
        return stems[0]
    if root.name in stems:
        return root.name
    if not stems:
        raise DataFormatError(root / f"{root.name}{RATINGS_SUFFIX}", "missing required file")
    raise DataFormatError(root, f"several {RATINGS_SUFFIX} files ({', '.join(stems)}); which one?")


def read_header(path: Path) -> list[str]:
    """Field names of an atomic file, without their ``:type``."""
    names = [column.split(":", 1)[0].strip() for column in first_line(path).split("\t")]
    if len(set(names)) != len(names) or not all(names):
        raise DataFormatError(path, f"header fields {names} are empty or repeated", 1)
    return names


def read_ratings(path: Path, max_bytes: int | None = None) -> pd.DataFrame:
    names = read_header(path)
    missing = [f for f in ("user_id", "item_id", "rating") if f not in names]
    if missing:
        raise DataFormatError(path, f"header lacks the field(s) {', '.join(missing)}", 1)
    fields = [_RATING_FIELDS.get(n, Field(n, None)) for n in names]
    columns = read_numeric_table(path, fields, sep="\t", skip_lines=1, max_bytes=max_bytes)
    n_rows = len(columns["user_id"])
    timestamps = columns.get("timestamp", np.zeros(n_rows))
    return ratings_frame(
        columns["user_id"], columns["item_id"], columns["rating"], timestamps.astype(np.int64)
    )


def read_catalog(path: Path) -> Catalog:
    names = read_header(path)
    position = {name: i for i, name in enumerate(names)}
    title_field = next((f for f in _TITLE_FIELDS if f in position), None)
    if "item_id" not in position or title_field is None:
        raise DataFormatError(path, "header needs the fields item_id and movie_title", 1)
    genre_field = next((f for f in _GENRE_FIELDS if f in position), None)
    rows = CatalogRows(path)
    for line, text in numbered_lines(path, skip=1):
        fields = text.split("\t")
        expect_fields(fields, len(names), path, line, "\t")
        raw_title = fields[position[title_field]]
        if "release_year" in position:
            title, year = display_title(raw_title), parse_year(fields[position["release_year"]])
        else:
            title, year = clean_title(raw_title)
        genres = () if genre_field is None else split_genres(fields[position[genre_field]], " ")
        rows.add(
            line, parse_id(fields[position["item_id"]], path, line, "item_id"), title, year, genres
        )
    return rows.build()
