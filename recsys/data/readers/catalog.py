"""What every catalogue reader shares: decoding the small text files, checking fields with
their line numbers, and collecting films into a Catalog.

Catalogue files are small (at most ~90k films) and every title goes through ``clean_title`` in
Python anyway, so they are read line by line: an error names its line at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from recsys.data.errors import DataFormatError
from recsys.data.types import Catalog

# ML-1m and ML-100k are latin-1, ML-10m and later utf-8; a latin-1 file with accents is never
# valid utf-8, so trying utf-8 first tells them apart.
ENCODINGS = ("utf-8", "latin-1")
NO_GENRES = "(no genres listed)"

_INT32_MAX = int(np.iinfo(np.int32).max)
_WHOLE_NUMBER = re.compile(r"[0-9]+")
_YEAR = re.compile(r"[0-9]{4}")


def require(path: Path) -> Path:
    """``path`` itself, or DataFormatError when the release lacks it."""
    if not path.is_file():
        raise DataFormatError(path, "missing required file")
    return path


def numbered_lines(path: Path, *, skip: int = 0) -> Iterator[tuple[int, str]]:
    """``(1-based line number, text)`` for each non-empty line after the first ``skip``.

    Raises DataFormatError for a missing file or one with no lines beyond those skipped.
    """
    text = decode(require(path).read_bytes())
    # str.splitlines would also split on \x1c or \x85, which latin-1 text may hold.
    lines = text.split("\n")
    found = False
    for number, line in enumerate(lines[skip:], start=skip + 1):
        line = line.rstrip("\r")
        if line:
            found = True
            yield number, line
    if not found:
        raise DataFormatError(path, "empty file: no data lines")


def first_line(path: Path) -> str:
    """The header line of ``path``; DataFormatError when the file is missing or empty."""
    with require(path).open("rb") as file:
        line = decode(file.readline()).rstrip("\r\n")
    if not line:
        raise DataFormatError(path, "empty file: no header line", 1)
    return line


def decode(data: bytes) -> str:
    """The text of a whole file, in the first of ``ENCODINGS`` that fits, without a BOM."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def parse_id(text: str, path: Path, line: int, what: str) -> int:
    """A positive id that fits int32, or DataFormatError naming ``what`` it was meant to be."""
    text = text.strip()
    if _WHOLE_NUMBER.fullmatch(text) is None:
        raise DataFormatError(path, f"{what} {text!r} is not a whole number", line)
    value = int(text)
    if value > _INT32_MAX:
        raise DataFormatError(path, f"{what} {value} is too large", line)
    return value


def parse_optional_id(text: str, path: Path, line: int, what: str) -> int | None:
    """Like ``parse_id`` but an empty field is None (links.csv leaves unknown tmdbIds empty)."""
    return None if not text.strip() else parse_id(text, path, line, what)


def parse_year(text: str) -> int | None:
    """A four-digit year, or None for anything else ("", "unkonwn")."""
    text = text.strip()
    return int(text) if _YEAR.fullmatch(text) else None


def split_genres(text: str, sep: str) -> tuple[str, ...]:
    """Genre names, with MovieLens' placeholders for "none" dropped."""
    if text.strip() == NO_GENRES:
        return ()
    return tuple(g for g in (part.strip() for part in text.split(sep)) if g and g != "unknown")


def expect_fields(fields: Sequence[str], count: int, path: Path, line: int, sep: str) -> None:
    if len(fields) != count:
        raise DataFormatError(
            path, f"expected {count} {sep!r}-separated fields, found {len(fields)}", line
        )


class CatalogRows:
    """Films collected one line at a time, refusing a second line for the same item id."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._line_of: dict[int, int] = {}
        self.item_ids: list[int] = []
        self.titles: list[str] = []
        self.years: list[int | None] = []
        self.genres: list[tuple[str, ...]] = []

    def add(
        self, line: int, item_id: int, title: str, year: int | None, genres: tuple[str, ...]
    ) -> None:
        if (first := self._line_of.setdefault(item_id, line)) != line:
            raise DataFormatError(
                self.path, f"item id {item_id} appears twice (first on line {first})", line
            )
        self.item_ids.append(item_id)
        self.titles.append(title)
        self.years.append(year)
        self.genres.append(genres)

    def build(
        self,
        imdb_ids: dict[int, int | None] | None = None,
        tmdb_ids: dict[int, int | None] | None = None,
        imdb_urls: dict[int, str | None] | None = None,
    ) -> Catalog:
        """The catalogue; ``imdb_ids`` / ``tmdb_ids`` / ``imdb_urls`` map item ids to links
        (absent ids: NA)."""
        if not self.item_ids:
            raise DataFormatError(self.path, "empty file: no films")
        return Catalog.from_columns(
            self.item_ids,
            self.titles,
            self.years,
            self.genres,
            imdb_ids=None if imdb_ids is None else [imdb_ids.get(i) for i in self.item_ids],
            tmdb_ids=None if tmdb_ids is None else [tmdb_ids.get(i) for i in self.item_ids],
            imdb_urls=None if imdb_urls is None else [imdb_urls.get(i) for i in self.item_ids],
        )
