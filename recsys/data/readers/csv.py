"""The ml-latest / ML-20m / 25m / 32m layout: ``ratings.csv``, ``movies.csv``, ``links.csv``.

Files have a header line; titles in ``movies.csv`` use CSV quoting; ``links.csv`` (optional)
leaves ``tmdbId`` empty where TMDB has no match.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from recsys.data.cache import cached_ratings
from recsys.data.errors import DataFormatError
from recsys.data.readers.catalog import (
    CatalogRows,
    decode,
    expect_fields,
    first_line,
    parse_id,
    parse_optional_id,
    require,
    split_genres,
)
from recsys.data.readers.numeric import RATING_FIELDS, read_numeric_table
from recsys.data.titles import clean_title
from recsys.data.types import Catalog, Dataset, ratings_frame

RATINGS = "ratings.csv"
ITEMS = "movies.csv"
LINKS = "links.csv"
REQUIRED = (RATINGS, ITEMS)

RATINGS_HEADER = ("userId", "movieId", "rating", "timestamp")
ITEMS_HEADER = ("movieId", "title", "genres")
LINKS_HEADER = ("movieId", "imdbId", "tmdbId")


def read(root: Path, name: str | None = None) -> Dataset:
    """The release in folder ``root``; ``name`` defaults to the folder's name.

    Ratings of films missing from ``movies.csv`` are kept, without a catalogue row; links of
    films missing from it are ignored.
    """
    ratings_path = require(root / RATINGS)
    ratings = cached_ratings(ratings_path, lambda: read_ratings(ratings_path))
    return Dataset(name or root.name, ratings, catalog(root))


def catalog(root: Path) -> Catalog:
    """Only the films (with their links) of the release in ``root``: no ratings are read."""
    return read_catalog(root / ITEMS, root / LINKS)


def read_ratings(path: Path, max_bytes: int | None = None) -> pd.DataFrame:
    _check_header(path, first_line(path).split(","), RATINGS_HEADER)
    columns = read_numeric_table(path, RATING_FIELDS, sep=",", skip_lines=1, max_bytes=max_bytes)
    return ratings_frame(**columns)


def ratings_head(root: Path, max_bytes: int) -> pd.DataFrame:
    """The ratings in about the first ``max_bytes`` of ``ratings.csv`` (sorted by user)."""
    return read_ratings(require(root / RATINGS), max_bytes)


def read_catalog(path: Path, links_path: Path | None = None) -> Catalog:
    rows = CatalogRows(path)
    for line, fields in _records(path, ITEMS_HEADER):
        title, year = clean_title(fields[1])
        rows.add(
            line,
            parse_id(fields[0], path, line, "movieId"),
            title,
            year,
            split_genres(fields[2], "|"),
        )
    if links_path is None or not links_path.is_file():
        return rows.build()
    imdb_ids: dict[int, int | None] = {}
    tmdb_ids: dict[int, int | None] = {}
    for line, fields in _records(links_path, LINKS_HEADER):
        item_id = parse_id(fields[0], links_path, line, "movieId")
        imdb_ids[item_id] = parse_optional_id(fields[1], links_path, line, "imdbId")
        tmdb_ids[item_id] = parse_optional_id(fields[2], links_path, line, "tmdbId")
    return rows.build(imdb_ids, tmdb_ids)


def _records(path: Path, header: tuple[str, ...]) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` for each record after a header that must equal ``header``."""
    text = decode(require(path).read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    found_header = next(reader, None)
    if found_header is None:
        raise DataFormatError(path, "empty file: no header line", 1)
    _check_header(path, found_header, header)
    empty = True
    while True:
        # A quoted field may span lines: name the line where the record starts.
        start = reader.line_num + 1
        try:
            fields = next(reader, None)
        except csv.Error as exc:
            raise DataFormatError(path, f"bad CSV quoting ({exc})", start) from exc
        if fields is None:
            break
        if not fields:
            continue
        empty = False
        expect_fields(fields, len(header), path, start, ",")
        yield start, fields
    if empty:
        raise DataFormatError(path, "empty file: no data lines")


def _check_header(path: Path, found: list[str], expected: tuple[str, ...]) -> None:
    if tuple(field.strip() for field in found) != expected:
        raise DataFormatError(
            path, f"expected the header {','.join(expected)!r}, found {','.join(found)!r}", 1
        )
