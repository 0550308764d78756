"""The original ML-100k layout: ``u.data`` (ratings), ``u.item`` (films), ``u.genre``.

``u.item`` is pipe-separated latin-1: id | title | release date | video release date |
IMDb URL | one 0/1 flag per genre, in the order ``u.genre`` lists them. The URL is kept as
the film's ``imdb_url`` (ML-100k has no IMDb ids); one that is not an http(s) address is left
out, and RecBole's atomic copy of ML-100k, which drops the column, simply has none.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

import pandas as pd

from recsys.data.cache import cached_ratings
from recsys.data.errors import DataFormatError
from recsys.data.readers.catalog import (
    CatalogRows,
    expect_fields,
    numbered_lines,
    parse_id,
    parse_year,
    require,
)
from recsys.data.readers.numeric import RATING_FIELDS, read_numeric_table
from recsys.data.titles import clean_title
from recsys.data.types import Catalog, Dataset, ratings_frame

RATINGS = "u.data"
ITEMS = "u.item"
GENRES = "u.genre"
REQUIRED = (RATINGS, ITEMS)

# Used when u.genre is absent; "unknown" is MovieLens' flag for "no genre".
STANDARD_GENRES = (
    *("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime"),
    *("Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery"),
    *("Romance", "Sci-Fi", "Thriller", "War", "Western"),
)
_LEADING_FIELDS = 5
_URL_FIELD = 4
# Characters a URL may hold as they are; the rest (spaces, accents in latin-1 titles) is
# percent-encoded, since Telegram refuses a button whose URL is not a valid one.
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def read(root: Path, name: str | None = None) -> Dataset:
    """The release in folder ``root``; ``name`` defaults to the folder's name.

    Ratings of items that ``u.item`` does not list are kept; the catalogue simply has no row
    for them (the same holds for every reader).
    """
    ratings_path = require(root / RATINGS)
    ratings = cached_ratings(ratings_path, lambda: read_ratings(ratings_path))
    return Dataset(name or root.name, ratings, catalog(root))


def catalog(root: Path) -> Catalog:
    """Only the films of the release in ``root``: no ratings are read."""
    return read_catalog(require(root / ITEMS), read_genre_names(root / GENRES))


def read_ratings(path: Path, max_bytes: int | None = None) -> pd.DataFrame:
    """``u.data``: tab-separated user, item, rating, timestamp, no header."""
    return ratings_frame(**read_numeric_table(path, RATING_FIELDS, sep="\t", max_bytes=max_bytes))


def ratings_head(root: Path, max_bytes: int) -> pd.DataFrame:
    """The ratings in about the first ``max_bytes`` of ``u.data``."""
    return read_ratings(require(root / RATINGS), max_bytes)


def read_genre_names(path: Path) -> tuple[str, ...]:
    """Genre names by flag position from ``u.genre`` (``name|index`` lines), or the standard
    19 when the file is absent."""
    if not path.is_file():
        return STANDARD_GENRES
    by_index: dict[int, str] = {}
    for line, text in numbered_lines(path):
        fields = text.split("|")
        expect_fields(fields, 2, path, line, "|")
        index = parse_id(fields[1], path, line, "genre index")
        if index in by_index:
            raise DataFormatError(path, f"genre index {index} appears twice", line)
        by_index[index] = fields[0].strip()
    if sorted(by_index) != list(range(len(by_index))):
        raise DataFormatError(path, f"genre indices {sorted(by_index)} are not 0, 1, 2, ...")
    return tuple(by_index[i] for i in range(len(by_index)))


def read_catalog(path: Path, genre_names: tuple[str, ...]) -> Catalog:
    rows = CatalogRows(path)
    urls: dict[int, str | None] = {}
    for line, text in numbered_lines(path):
        fields = text.split("|")
        expect_fields(fields, _LEADING_FIELDS + len(genre_names), path, line, "|")
        item_id = parse_id(fields[0], path, line, "item id")
        title, year = clean_title(fields[1])
        if year is None:  # "01-Jan-1995": the release date still knows it
            year = parse_year(fields[2].strip()[-4:])
        flags = fields[_LEADING_FIELDS:]
        if any(flag.strip() not in ("0", "1") for flag in flags):
            raise DataFormatError(path, "genre flags must be 0 or 1", line)
        genres = tuple(
            genre
            for genre, flag in zip(genre_names, flags, strict=True)
            if flag.strip() == "1" and genre != "unknown"
        )
        rows.add(line, item_id, title, year, genres)
        urls[item_id] = web_address(fields[_URL_FIELD])
    return rows.build(imdb_urls=urls)


def web_address(text: str) -> str | None:
    """An http(s) URL from ``u.item``, percent-encoded where it needs to be; None otherwise."""
    text = text.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c < " " for c in text):
        return None
    return quote(text, safe=_URL_SAFE)
