"""``/recommend comedy``, ``/recommend 1990s``, ``/recommend horror comedy``: parsing a filter
(at most two genres, a film must have both), and its short button key."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np

from recsys.data import Catalog

_DECADE = re.compile(r"^(\d{2}|\d{4})'?s$")  # 90s, 1990s
_RANGE = re.compile(r"^(\d{4})\s*[-–]\s*(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")
_KEY = re.compile(r"^g(\d{1,2}(?:_\d{1,2})?)?(?:y(\d{4})-(\d{4}))?$")
_JOINERS = frozenset({"and", "&", "+", "/"})
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
    genres: tuple[str, ...] = ()  # a film must have every one of them
    years: tuple[int, int] | None = None

    def describe(self) -> str:
        """``"comedy"``, ``"1990s"``, ``"comedy from the 1990s"``, ``"comedy from 1994"``."""
        genres = " and ".join(g.lower() for g in self.genres)
        if not self.years:
            return genres
        start, end = self.years
        decade = end == start + 9 and start % 10 == 0
        years = str(start) if start == end else f"{start}s" if decade else f"{start}–{end}"
        if not genres:
            return years
        return f"{genres} from the {years}" if decade else f"{genres} from {years}"

    def key(self, genres: list[str]) -> str:
        """A short token for callback data: ``g5``, ``g5_7``, ``gy1990-1999``,
        ``g5y1990-1999``."""
        genre = "_".join(str(genres.index(g)) for g in self.genres)
        years = f"y{self.years[0]}-{self.years[1]}" if self.years else ""
        return f"g{genre}{years}"

    def candidates(self, catalog: Catalog) -> np.ndarray | None:
        """Item ids that pass, or None when there is no filter at all."""
        if not self.genres and self.years is None:
            return None
        if not self.genres:
            return catalog.filter(None, self.years)
        passing = [catalog.filter(genre, self.years) for genre in self.genres]
        return functools.reduce(np.intersect1d, passing)


def parse_filter(text: str, genres: list[str]) -> Filter:
    """``""`` → no filter; a genre (any case, plural, common aliases) or two ("horror
    comedy": films of both), a decade, a year, a year range, or genres and years together
    ("comedy 1990s")."""
    text = " ".join(text.casefold().split())[:60]
    if not text:
        return Filter()
    by_name = {g.casefold(): g for g in genres}
    years = None
    words = text.replace(",", " ").split()
    rest = []
    for word in words:
        found = _years(word)
        if found:
            years = found
        elif word not in _JOINERS:
            rest.append(word)
    chosen: tuple[str, ...] = ()
    if rest:
        found_genres = _genres(rest, by_name)
        if found_genres is None:
            raise FilterError(
                f"I don't know the genre “{' '.join(rest)}”. The genres: "
                f"{', '.join(sorted(g.lower() for g in genres))}; two together work too "
                "(horror comedy), and so do years (1990s, 1994, 1980-1989)."
            )
        chosen = found_genres
    return Filter(chosen, years)


def parse_key(key: str | None, genres: list[str]) -> Filter:
    """The inverse of :meth:`Filter.key`; an unknown key raises FilterError."""
    if not key:
        return Filter()
    match = _KEY.match(key)
    if not match:
        raise FilterError("unknown filter key")
    indexes, start, end = match.groups()
    numbers = [int(i) for i in indexes.split("_")] if indexes else []
    if any(n >= len(genres) for n in numbers):
        raise FilterError("unknown filter key")
    return Filter(tuple(genres[n] for n in numbers), (int(start), int(end)) if start else None)


def _genres(words: list[str], by_name: dict[str, str]) -> tuple[str, ...] | None:
    """The genres ``words`` name: one ("science fiction" too), or two side by side. Not
    three: their key would not fit the 16 characters a button's filter key has."""
    whole = _genre(" ".join(words), by_name)
    if whole is not None:
        return (whole,)
    for cut in range(1, len(words)):
        first, second = (
            _genre(" ".join(words[:cut]), by_name),
            _genre(" ".join(words[cut:]), by_name),
        )
        if first is not None and second is not None and first != second:
            return (first, second)
    return None


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
