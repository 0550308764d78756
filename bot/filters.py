"""``/recommend comedy``, ``/recommend 1990s``: parsing a filter, and its short button key."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from recsys.data import Catalog

_DECADE = re.compile(r"^(\d{2}|\d{4})'?s$")  # 90s, 1990s
_RANGE = re.compile(r"^(\d{4})\s*[-–]\s*(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_KEY = re.compile(r"^g(\d{1,2})?(?:y(\d{4})-(\d{4}))?$")
_ALIASES = {
    "scifi": "Sci-Fi",
    "science fiction": "Sci-Fi",
    "sf": "Sci-Fi",
    "kids": "Children's",
    "children": "Children's",
    "childrens": "Children's",
    "noir": "Film-Noir",
    "romantic": "Romance",
    "animated": "Animation",
    "cartoon": "Animation",
    "doc": "Documentary",
    "docs": "Documentary",
    "scary": "Horror",
    "funny": "Comedy",
}


class FilterError(ValueError):
    """A filter the bot cannot understand; the message says what would work."""


@dataclass(frozen=True)
class Filter:
    genre: str | None = None
    years: tuple[int, int] | None = None

    def describe(self) -> str:
        parts = []
        if self.genre:
            parts.append(self.genre.lower())
        if self.years:
            start, end = self.years
            if start == end:
                parts.append(str(start))
            elif end == start + 9 and start % 10 == 0:
                parts.append(f"{start}s")
            else:
                parts.append(f"{start}–{end}")
        return " from the ".join(parts) if len(parts) == 2 else "".join(parts)

    def key(self, genres: list[str]) -> str:
        """A short token for callback data: ``g5``, ``gy1990-1999``, ``g5y1990-1999``."""
        genre = str(genres.index(self.genre)) if self.genre else ""
        years = f"y{self.years[0]}-{self.years[1]}" if self.years else ""
        return f"g{genre}{years}"

    def candidates(self, catalog: Catalog) -> np.ndarray | None:
        """Item ids that pass, or None when there is no filter at all."""
        if self.genre is None and self.years is None:
            return None
        return catalog.filter(self.genre, self.years)


def parse_filter(text: str, genres: list[str]) -> Filter:
    """``""`` → no filter; a genre (any case, plural, common aliases), a decade, a year, a
    year range, or a genre and years together ("comedy 1990s")."""
    text = " ".join(text.casefold().split())[:60]
    if not text:
        return Filter()
    by_name = {g.casefold(): g for g in genres}
    genre, years = None, None
    words = text.replace(",", " ").split()
    rest = []
    for word in words:
        found = _years(word)
        if found:
            years = found
        else:
            rest.append(word)
    if rest:
        name = " ".join(rest)
        genre = _genre(name, by_name)
        if genre is None:
            examples = ", ".join(sorted(g.lower() for g in genres)[:6])
            raise FilterError(f"I don't know the genre “{name}”. Try one of: {examples}, or 1990s.")
    return Filter(genre, years)


def parse_key(key: str | None, genres: list[str]) -> Filter:
    """The inverse of :meth:`Filter.key`; an unknown key raises FilterError."""
    if not key:
        return Filter()
    match = _KEY.match(key)
    if not match:
        raise FilterError("unknown filter key")
    index, start, end = match.groups()
    if index is not None and int(index) >= len(genres):
        raise FilterError("unknown filter key")
    genre = genres[int(index)] if index is not None else None
    return Filter(genre, (int(start), int(end)) if start else None)


def _genre(name: str, by_name: dict[str, str]) -> str | None:
    candidates = [name, name.rstrip("s"), name.removesuffix("ies") + "y", name.replace(" ", "-")]
    for candidate in candidates:
        if candidate in by_name:
            return by_name[candidate]
    alias = _ALIASES.get(name) or _ALIASES.get(name.rstrip("s"))
    return alias if alias and alias.casefold() in by_name else None


def _years(word: str) -> tuple[int, int] | None:
    if match := _DECADE.match(word):
        digits = match.group(1)
        start = int(digits) if len(digits) == 4 else 1900 + int(digits)
        if len(digits) == 2 and int(digits) < 30:
            start += 100  # "20s" in a film bot means the 2020s
        return (start - start % 10, start - start % 10 + 9)
    if match := _RANGE.match(word):
        start, end = sorted((int(match.group(1)), int(match.group(2))))
        return (start, end)
    if match := _YEAR.match(word):
        year = int(match.group(1))
        return (year, year)
    return None
