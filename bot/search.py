"""Tolerant title search: case, accents, leading articles, small typos and a year."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
from rapidfuzz import fuzz, process

from recsys.data import Catalog

MAX_QUERY = 120  # characters looked at; a title is never longer than this
SHORTLIST = 200  # titles scored in full: those sharing the most letter triples with the query
_ARTICLES = re.compile(r"^(the|a|an|le|la|les|l'|il|el|los|las|der|die|das|den|det)\s+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NOT_WORD = re.compile(r"[^\w\s]")


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation, no leading article, single spaces."""
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
    """

    def __init__(self, catalog: Catalog, popularity: dict[int, float] | None = None) -> None:
        frame = catalog.frame
        self._ids = frame.index.to_numpy(np.int64)
        self._titles = [normalise(t) for t in frame["title"]]
        self._postings = _postings(self._titles)
        self._years = frame["year"].to_numpy(dtype="float64", na_value=np.nan)
        pop = popularity or {}
        counts = np.array([pop.get(int(i), 0.0) for i in self._ids], np.float64)
        # At most 3 points of 100 for popularity: it breaks ties, it never beats spelling.
        self._bonus = 3.0 * np.log1p(counts) / max(np.log1p(counts).max(), 1.0)

    def search(self, query: str, limit: int = 8) -> list[int]:
        """Best matches first; an empty list when nothing is close enough."""
        query = query[:MAX_QUERY]
        year_match = _YEAR.search(query)
        year = int(year_match.group(1)) if year_match else None
        text = normalise(_YEAR.sub(" ", query) if year else query)
        if not text:
            return []
        rows = self._shortlist(text)
        hits = process.extract(
            text,
            [self._titles[row] for row in rows],
            scorer=fuzz.WRatio,
            limit=max(limit * 5, 40),
            score_cutoff=60,
        )
        scored = []
        for title, score, position in hits:
            row = rows[position]
            if len(title) < 3 and title != text:
                continue  # "M" (1931) partially matches anything with an m in it
            total = score + self._bonus[row]
            if title == text:
                total += 5.0  # an exact title beats a longer one containing it
            if year is not None:
                total += 8.0 if self._years[row] == year else -8.0
            scored.append((total, int(self._ids[row])))
        scored.sort(key=lambda pair: -pair[0])
        return [item for _, item in scored[:limit]]

    def _shortlist(self, text: str) -> np.ndarray:
        """Rows of the titles sharing the most letter triples with ``text``."""
        found = [self._postings[g] for g in _trigrams(text) if g in self._postings]
        if not found:
            return np.empty(0, np.int64)
        shared = np.bincount(np.concatenate(found), minlength=len(self._titles))
        if np.count_nonzero(shared) > SHORTLIST:
            return np.argpartition(-shared, SHORTLIST)[:SHORTLIST]
        return np.flatnonzero(shared)

    def best(self, query: str) -> int | None:
        found = self.search(query, limit=1)
        return found[0] if found else None


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
