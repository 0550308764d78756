"""Tolerant title search: case, accents, leading articles, small typos and a year; and
knowing where the catalogue stops, so a film it lacks gets "I don't know it", not guesses."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from recsys.data import Catalog
from recsys.data.numerals import digits_for_numbers

MAX_QUERY = 120  # characters looked at; a title is never longer than this
SHORTLIST = 200  # titles scored in full: those sharing the most letter triples with the query
_ARTICLES = re.compile(r"^(the|a|an|le|la|les|l'|il|el|los|las|der|die|das|den|det)\s+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NOT_WORD = re.compile(r"[^\w\s]")
# Typos forgiven in a whole title, by its length: one from 3 letters, two from 9, three from 16
# (OSA distance: a swap of two neighbours is one typo, as people make them).
_TYPOS = ((16, 3), (9, 2), (3, 1))
SHORTEST_PARTIAL = 4  # a one-word query shorter than this must be a whole title ("Up", "Her")
YEAR_SLACK = 1  # release years differ by a year between sources


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation, no leading article, single spaces, numbers in
    digits ("Twelve Monkeys" is "12 monkeys", "Part II" is "2")."""
    return digits_for_numbers(_spelt(text))


def _spellings(title: str) -> tuple[str, ...]:
    """``title`` normalised with its numbers in digits and, where that differs, as spelt."""
    spelt = _spelt(title)
    return tuple(dict.fromkeys((digits_for_numbers(spelt), spelt)))


def _spelt(text: str) -> str:
    """``normalise`` with the numbers as written: "twelve monkeys", "part ii"."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NOT_WORD.sub(" ", text.replace("'", "' ")).replace("'", "")
    text = " ".join(text.split())
    return _ARTICLES.sub("", text + " ").strip() if text else text


class TitleIndex:
    """Fuzzy search over a catalogue's display titles, ties broken by popularity.

    Scoring every title with ``WRatio`` took 1.5–3 ms on MovieLens 100k's 1,682 films and grows
    with the catalogue (tens of milliseconds at ML-25M's 62,000), all on the event loop. A
    shortlist comes first instead: the ``SHORTLIST`` titles that share the most letter triples
    with the query, counted through an inverted index, so the cost barely grows with the
    catalogue; only they are scored in full.

    Queries are read with their numbers in digits; titles are kept both ways, so that "12
    monkeys" finds "Twelve Monkeys" and "fourr rooms" still finds "Four Rooms".
    """

    def __init__(self, catalog: Catalog, popularity: dict[int, float] | None = None) -> None:
        frame = catalog.frame
        titles = frame["title"].tolist()
        self._ids = frame.index.to_numpy(np.int64)
        spellings = [_spellings(t) for t in titles]
        self._titles = [spelt[0] for spelt in spellings]
        # Forms a whole query may take: the title's spellings, and those of its main part
        # alone ("Amélie (Le Fabuleux Destin d'Amélie Poulain)": either name is the film).
        mains = [t.split(" (", 1)[0] for t in titles]
        self._forms = [
            spelt if main == t else tuple(dict.fromkeys((*spelt, *_spellings(main))))
            for t, main, spelt in zip(titles, mains, spellings, strict=True)
        ]
        self._words = [frozenset(" ".join(forms).split()) for forms in self._forms]
        self._all_words: frozenset[str] = frozenset().union(*self._words)
        # What fuzzy scoring runs over: each title in its one or two spellings.
        names = [(form, row) for row, spelt in enumerate(spellings) for form in spelt]
        self._names = [form for form, _ in names]
        self._name_rows = np.array([row for _, row in names], np.int64)
        self.name = catalog.name or "this catalogue"
        self.last_year = catalog.last_year
        self._postings = _postings(self._names)
        self._years = frame["year"].to_numpy(dtype="float64", na_value=np.nan)
        pop = popularity or {}
        counts = np.array([pop.get(int(i), 0.0) for i in self._ids], np.float64)
        # At most 3 points of 100 for popularity: it breaks ties, it never beats spelling.
        self._bonus = 3.0 * np.log1p(counts) / max(np.log1p(counts).max(), 1.0)

    def search(self, query: str, limit: int = 8) -> list[int]:
        """Best matches first; an empty list when nothing is close enough."""
        return [hit.item for hit in self._ranked(query)[:limit]]

    def lookup(self, query: str, limit: int = 5) -> Lookup:
        """The film ``query`` names, when it clearly names one; else the best candidates.

        Clear: the best match is the whole title (or its main part) give or take a few typos,
        and no other film is as close, unless the query's year tells them apart ("cape fear"
        names two films, "cape fear 1962" one; "star" names none). A film listed twice under
        one title and year (ml-100k has a few) is one film here.
        """
        ranked = self._ranked(query)
        items = [hit.item for hit in ranked[:limit]]
        if not ranked or ranked[0].typos is None:
            return Lookup(items, sure=False)
        best, typos = ranked[0].item, ranked[0].typos
        rivals = [
            hit.item
            for hit in ranked[1:]
            if hit.typos is not None and hit.typos <= typos
            and self._name(hit.item) != self._name(best)
        ]  # fmt: skip
        if ranked[0].year is not None:
            rivals = [item for item in rivals if self._name(item)[1] == self._name(best)[1]]
        return Lookup(items, sure=not rivals)

    def _name(self, item_id: int) -> tuple[str, float]:
        row = int(np.flatnonzero(self._ids == item_id)[0])
        return self._titles[row], float(self._years[row])

    def _ranked(self, query: str) -> list[_Hit]:
        """Every plausible match, best first.

        A number that could be a year is read both ways: as the film's year ("heat 1995") and
        as part of its title ("2001: A Space Odyssey", "1984"); a reading that fits no title
        finds nothing, so the other one answers.
        """
        query = query[:MAX_QUERY]
        years = _YEAR.findall(query)
        # Read as part of a title only where some title has that number ("heat 1995": none).
        literal = not years or any(year in self._all_words for year in years)
        hits = [*(self._matches(query, None) if literal else []), *self._as_dated(query, years)]
        best: dict[int, _Hit] = {}
        for hit in hits:
            if hit.item not in best or hit.score > best[hit.item].score:
                best[hit.item] = hit
        return sorted(best.values(), key=lambda hit: -hit.score)

    def _as_dated(self, query: str, years: list[str]) -> list[_Hit]:
        """The matches of ``query`` read with the last of its year-like ``years`` as the
        film's year."""
        if not years:
            return []
        year = int(years[-1])  # "blade runner 2049 2017"
        if self.last_year is not None and year > self.last_year + YEAR_SLACK:
            return []  # "heat 2023" against films that stop in 1998: none of them
        # Every mention of that year goes: "star wars 1977 1977", but not "2049" before "2017".
        return self._matches(re.sub(rf"\b{year}\b", " ", query), year)

    def _matches(self, query: str, year: int | None) -> list[_Hit]:
        text = normalise(query)
        if not text:
            return []
        names = self._shortlist(text)
        hits = process.extract(
            text,
            [self._names[name] for name in names],
            scorer=fuzz.WRatio,
            # With a year, every hit: a title made many times ("Hamlet") may have more equally
            # good namesakes than the cap, and the one of that year must not be cut off.
            limit=None if year is not None else 40,
            score_cutoff=60,
        )
        typed = _Typed.of(text)
        scored = []
        seen = set()
        for title, score, position in hits:
            row = int(self._name_rows[names[position]])
            if row in seen:
                continue  # its other spelling scored higher
            seen.add(row)
            if not self._plausible(typed, row, year):
                continue  # "the matrix" is not "Matilda": better no guess than a wrong one
            total = score + self._bonus[row]
            if title == text:
                total += 5.0  # an exact title beats a longer one containing it
            if year is not None:
                total += 8.0 if self._years[row] == year else -8.0
            scored.append(_Hit(total, int(self._ids[row]), self._whole(typed, row), year))
        return scored

    def _shortlist(self, text: str) -> np.ndarray:
        """Positions in ``_names`` of the names sharing the most letter triples with
        ``text``."""
        found = [self._postings[g] for g in _trigrams(text) if g in self._postings]
        if not found:
            return np.empty(0, np.int64)
        shared = np.bincount(np.concatenate(found), minlength=len(self._names))
        if np.count_nonzero(shared) > SHORTLIST:
            return np.argpartition(-shared, SHORTLIST)[:SHORTLIST]
        return np.flatnonzero(shared)

    def _plausible(self, typed: _Typed, row: int, year: int | None) -> bool:
        """Whether the film at ``row`` may be what was typed: the whole title (or its main
        part) with a few typos, or every word of the query among the title's words."""
        film_year = self._years[row]
        if year is not None and not np.isnan(film_year) and abs(film_year - year) > YEAR_SLACK:
            return False
        title_words = self._words[row]
        if not typed.numbers <= title_words:
            return False  # "Toy Story 3" is not "Toy Story": a number is never a typo
        if self._whole(typed, row) is not None:
            return True
        words = typed.words
        if len(words) == 1:
            # One word of a longer title, spelt right: "shawshank", "raiders"; a near word
            # would let "incredibles" find "The Incredible Journey".
            return len(words[0]) >= SHORTEST_PARTIAL and words[0] in title_words
        return all(w in title_words or any(_same_word(w, t) for t in title_words) for w in words)

    def _whole(self, typed: _Typed, row: int) -> int | None:
        """The typos between the query and the film's whole title or main part, if few
        enough to be that title; None when the query is not the title."""
        found = [_typos(form, title) for form in typed.forms for title in self._forms[row]]
        close = [typos for typos in found if typos is not None]
        return min(close) if close else None

    def not_found(self, query: str) -> str:
        """What to say when ``search`` finds nothing: the catalogue's name and where it stops."""
        shown = " ".join(query.split())[:60]
        if self.last_year is None:
            return f"I don't know “{shown}”: it is not in {self.name}."
        return (
            f"I don't know “{shown}”. My films come from {self.name}, which stops in "
            f"{self.last_year}; check the spelling, or try a film from before then."
        )

    def best(self, query: str) -> int | None:
        found = self.search(query, limit=1)
        return found[0] if found else None


@dataclass(frozen=True)
class Lookup:
    """What a title names: ``items`` best first; ``sure`` when the first is clearly it."""

    items: list[int]
    sure: bool


class _Hit(NamedTuple):
    """A plausible match: its score, the film, the typos between the query and the film's
    whole title (None when the query is only part of it) and the year the query was read
    with."""

    score: float
    item: int
    typos: int | None
    year: int | None


@dataclass(frozen=True)
class _Typed:
    """A normalised query, taken apart once for every candidate it is checked against."""

    forms: tuple[str, ...]  # as typed, and without a mistyped leading "the"
    words: tuple[str, ...]  # its words, without that article
    numbers: frozenset[str]

    @classmethod
    def of(cls, text: str) -> _Typed:
        words = text.split()
        if len(words) > 1 and OSA.distance(words[0], "the", score_cutoff=1) <= 1:
            words = words[1:]  # "teh big bang theory": the article itself mistyped
        stripped = " ".join(words)
        forms = (text,) if stripped == text else (text, stripped)
        return cls(forms, tuple(words), frozenset(w for w in words if w.isdigit()))


def _typos(text: str, title: str) -> int | None:
    """The typos between ``text`` and ``title`` when few enough for its length, else None."""
    allowed = next((typos for length, typos in _TYPOS if len(title) >= length), 0)
    distance = OSA.distance(text, title, score_cutoff=allowed)
    return distance if distance <= allowed else None


def _same_word(word: str, title_word: str) -> bool:
    if word == title_word:
        return True
    return len(word) >= 5 and OSA.distance(word, title_word, score_cutoff=1) <= 1


def _trigrams(text: str) -> set[str]:
    padded = f" {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _postings(titles: list[str]) -> dict[str, np.ndarray]:
    """For each letter triple, the rows of the titles that contain it."""
    rows: dict[str, list[int]] = {}
    for row, title in enumerate(titles):
        for gram in _trigrams(title):
            rows.setdefault(gram, []).append(row)
    return {gram: np.array(found, np.int64) for gram, found in rows.items()}
