"""Find films from outside lists (Letterboxd, IMDb, an older catalogue) in a catalogue.

An entry names a film by its title and year, and sometimes by its IMDb id. The IMDb id wins
where both sides have one (MovieLens's ``links.csv``); otherwise titles are compared in a
normalised form (case, accents, punctuation and leading articles do not count, a year may be
one off: releases differ between countries), then by the part before a subtitle, then by a
close spelling within the same years. Each step only answers when it has one clear film.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process

from recsys.data.numerals import digits_for_numbers
from recsys.data.titles import clean_title, display_title
from recsys.data.types import Catalog

YEAR_SLACK = 1  # a film's year in two lists may differ by one (festival vs release)
FUZZY_CUTOFF = 92.0  # rapidfuzz ratio, 0-100: spelling variants pass, sequels ("2") do not

# Letters NFKD does not split into a base letter and a mark.
_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ß": "ss", "ł": "l", "đ": "d",
                          "þ": "th", "ð": "d", "ı": "i", "&": " and ", "½": " 1/2"})  # fmt: skip
_APOSTROPHES = re.compile(r"['’`´]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an) ")
_AKA = re.compile(r"^(?:a\.k\.a\.|aka)\s+", re.IGNORECASE)
_ALTERNATIVE = re.compile(r"\s*\(([^()]*)\)\s*$")
_SUBTITLE = re.compile(r"\s*(?::| - | – | — )\s*")


@dataclass(frozen=True, slots=True)
class Entry:
    """A film as another list names it."""

    title: str
    year: int | None = None
    imdb_id: int | None = None


def title_key(title: str) -> str:
    """The form two spellings of one title share: ``"The Shawshank Redemption"``,
    ``"Shawshank Redemption, The"`` and ``"shawshank  redemption!"`` all give
    ``"shawshank redemption"``; ``"Twelve Monkeys"`` and ``"12 Monkeys"`` give
    ``"12 monkeys"``."""
    text = display_title(title) if "," in title else title
    text = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _APOSTROPHES.sub("", text)
    text = _NON_WORD.sub(" ", text).strip()
    return digits_for_numbers(_LEADING_ARTICLE.sub("", text))


def title_keys(title: str) -> list[str]:
    """Every key a catalogue title answers to: the title and each alternative title in
    trailing parentheses (``"Seven (a.k.a. Se7en)"`` answers to both)."""
    names = []
    text = title.strip()
    while (match := _ALTERNATIVE.search(text)) is not None and match.start() > 0:
        names.append(_AKA.sub("", match.group(1)))
        text = text[: match.start()]
    names.insert(0, text)
    keys = [title_key(name) for name in names]
    return [key for key in dict.fromkeys(keys) if key]


def main_part(title: str) -> str:
    """The title before its subtitle: ``"Star Wars: Episode IV - A New Hope"`` gives
    ``"Star Wars"``; a title without one gives itself."""
    return _SUBTITLE.split(title.strip(), maxsplit=1)[0]


def last_part(title: str) -> str:
    """The title after its last separator: ``"Star Wars: Episode V - The Empire Strikes
    Back"`` gives ``"The Empire Strikes Back"`` (what most lists call that film)."""
    return _SUBTITLE.split(title.strip())[-1]


class Matcher:
    """A catalogue indexed for :meth:`match`; build once, match many."""

    def __init__(self, films: Iterable[tuple[int, str, int | None, int | None]]) -> None:
        """``films``: (item id, title, year, IMDb id) of each film; the title as the
        catalogue shows it or as MovieLens files it (``"Shawshank Redemption, The (1994)"``,
        whose year then stands in for a missing one)."""
        self._by_imdb: dict[int, int] = {}
        self._imdb_of: dict[int, int] = {}
        self._by_key: defaultdict[str, list[tuple[int | None, int]]] = defaultdict(list)
        self._by_main: defaultdict[str, list[tuple[int | None, int]]] = defaultdict(list)
        self._by_year: defaultdict[int, dict[int, str]] = defaultdict(dict)
        for item_id, raw, given_year, imdb_id in films:
            title, filed_year = clean_title(raw)
            year = filed_year if given_year is None else given_year
            if imdb_id is not None:
                self._by_imdb.setdefault(imdb_id, item_id)
                self._imdb_of[item_id] = imdb_id
            keys = title_keys(title)
            for key in keys:
                self._by_key[key].append((year, item_id))
            for part in _parts(title):
                if part not in keys:
                    self._by_main[part].append((year, item_id))
            if year is not None and keys:
                self._by_year[year][item_id] = keys[0]

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Matcher:
        frame = catalog.frame
        years = _optional_ints(frame["year"])
        imdb = _optional_ints(frame["imdb_id"])
        titles = frame["title"].tolist()
        return cls(zip(catalog.item_ids.tolist(), titles, years, imdb, strict=True))

    def match(self, entry: Entry) -> int | None:
        """The catalogue's item id for ``entry``, or None when no film is clearly it."""
        return self.match_how(entry)[0]

    def match_how(self, entry: Entry) -> tuple[int | None, str]:
        """The item id and the step that found it: ``imdb``, ``title`` (normalised title,
        year ±1), ``subtitle`` (one side's title without its subtitle, same year),
        ``spelling`` (a close spelling, years ±1), or ``none``. A film found by its title
        whose IMDb id is known and differs from the entry's is another film: ``none``."""
        found, how = self._match_how(entry)
        if found is not None and how != "imdb" and entry.imdb_id is not None:
            known = self._imdb_of.get(found)
            if known is not None and known != entry.imdb_id:
                return None, "none"
        return found, how

    def _match_how(self, entry: Entry) -> tuple[int | None, str]:
        if entry.imdb_id is not None and entry.imdb_id in self._by_imdb:
            return self._by_imdb[entry.imdb_id], "imdb"
        key = title_key(entry.title)
        if not key:
            return None, "none"
        found = _closest(self._by_key.get(key, ()), entry.year, YEAR_SLACK)
        if found is not None:
            return found, "title"
        # Either side may carry a subtitle the other leaves out; the year must agree.
        found = _closest(self._by_main.get(key, ()), entry.year, 0)
        for part in _parts(entry.title) - {key}:
            if found is None:
                found = _closest(self._by_key.get(part, ()), entry.year, 0)
        if found is not None:
            return found, "subtitle"
        if entry.year is not None and (found := self._fuzzy(key, entry.year)) is not None:
            return found, "spelling"
        return None, "none"

    def match_all(self, entries: Sequence[Entry]) -> list[int | None]:
        return [self.match(entry) for entry in entries]

    def _fuzzy(self, key: str, year: int) -> int | None:
        """A close spelling among the films of the same years (typos, "Se7en"/"Seven")."""
        choices: dict[int, str] = {}
        for y in range(year - YEAR_SLACK, year + YEAR_SLACK + 1):
            choices.update(self._by_year.get(y, {}))
        best = process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=2)
        if not best or (len(best) == 2 and best[1][1] == best[0][1]):
            return None  # nothing close, or two films equally close: do not guess
        return int(best[0][2])


def _parts(title: str) -> set[str]:
    """Keys of a title's parts around subtitles: the main title, the last part, and the two
    together ("Star Wars: Episode VII - The Force Awakens" is "Star Wars: The Force
    Awakens" elsewhere)."""
    main, last = main_part(title), last_part(title)
    return {k for k in (title_key(main), title_key(last), title_key(f"{main} {last}")) if k}


def _optional_ints(column: pd.Series) -> list[int | None]:
    """A nullable integer column as Python ints and Nones."""
    known = column.notna().to_numpy()
    values = column.fillna(0).to_numpy(dtype="int64").tolist()
    return [int(v) if k else None for v, k in zip(values, known, strict=True)]


def _closest(
    candidates: Sequence[tuple[int | None, int]], year: int | None, slack: int
) -> int | None:
    """The one candidate nearest ``year`` within ``slack`` years; None when there is none or
    two are equally near. Without a year only a single candidate answers."""
    if year is None:
        return candidates[0][1] if len(candidates) == 1 else None
    near = sorted(
        (abs(y - year), item) for y, item in candidates if y is not None and abs(y - year) <= slack
    )
    if not near or (len(near) > 1 and near[0][0] == near[1][0] and near[0][1] != near[1][1]):
        return None
    return near[0][1]
