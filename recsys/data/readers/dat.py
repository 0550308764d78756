"""The ML-1m and ML-10m layout: ``ratings.dat`` and ``movies.dat``, fields joined by ``::``.

``UserID::MovieID::Rating::Timestamp`` and ``MovieID::Title (Year)::Genre|Genre``. ML-1m is
latin-1 and ML-10m utf-8; the catalogue reader tells them apart by trying utf-8 first.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from recsys.data.cache import cached_ratings
from recsys.data.readers.catalog import (
    CatalogRows,
    expect_fields,
    numbered_lines,
    parse_id,
    require,
    split_genres,
)
from recsys.data.readers.numeric import RATING_FIELDS, read_numeric_table
from recsys.data.titles import clean_title
from recsys.data.types import Catalog, Dataset, ratings_frame

RATINGS = "ratings.dat"
ITEMS = "movies.dat"
REQUIRED = (RATINGS, ITEMS)
SEPARATOR = "::"


def read(root: Path, name: str | None = None) -> Dataset:
    """The release in folder ``root``; ``name`` defaults to the folder's name.

    Ratings of films missing from ``movies.dat`` are kept, without a catalogue row.
    """
    ratings_path = require(root / RATINGS)
    ratings = cached_ratings(ratings_path, lambda: read_ratings(ratings_path))
    return Dataset(name or root.name, ratings, catalog(root))


def catalog(root: Path) -> Catalog:
    """Only the films of the release in ``root``: no ratings are read."""
    return read_catalog(require(root / ITEMS))


def read_ratings(path: Path, max_bytes: int | None = None) -> pd.DataFrame:
    # pandas' C engine takes only one-character separators; "::" would force the slow Python
    # engine, so each block has it replaced by a tab, which keeps every line where it was.
    columns = read_numeric_table(
        path,
        RATING_FIELDS,
        sep="\t",
        transform=lambda block: block.replace(b"::", b"\t"),
        max_bytes=max_bytes,
    )
    return ratings_frame(**columns)


def ratings_head(root: Path, max_bytes: int) -> pd.DataFrame:
    """The ratings in about the first ``max_bytes`` of ``ratings.dat``."""
    return read_ratings(require(root / RATINGS), max_bytes)


def read_catalog(path: Path) -> Catalog:
    rows = CatalogRows(path)
    for line, text in numbered_lines(path):
        fields = text.split(SEPARATOR)
        expect_fields(fields, 3, path, line, SEPARATOR)
        title, year = clean_title(fields[1])
        rows.add(
            line,
            parse_id(fields[0], path, line, "movie id"),
            title,
            year,
            split_genres(fields[2], "|"),
        )
    return rows.build()
