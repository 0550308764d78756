"""The title index's shortlist: scoring only the titles that share the most letter triples
with the query must find what scoring every title finds."""

from __future__ import annotations

import random

import pytest
from rapidfuzz import fuzz

from bot import search
from bot.search import TitleIndex, normalise
from recsys.data import Dataset


@pytest.fixture(scope="module")
def index(movielens: Dataset) -> TitleIndex:
    return TitleIndex(movielens.catalog)


def _queries(titles: list[str], seed: int = 0) -> list[str]:
    """What people type: half a title, a title with a letter missing, one word of it,
    its words shuffled."""
    rng = random.Random(seed)
    queries = []
    for title in rng.sample(titles, 300):
        words = title.split()
        letters = list(title.lower())
        del letters[rng.randrange(len(letters))]
        queries += [
            " ".join(words[: max(1, len(words) // 2)]),
            "".join(letters),
            rng.choice(words),
            " ".join(rng.sample(words, len(words))),
        ]
    return queries


def test_the_shortlist_finds_the_best_match_of_a_full_scan(
    index: TitleIndex, movielens: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    titles = dict(movielens.catalog.frame["title"])
    queries = _queries(list(titles.values()))

    def best_score(query: str) -> float | None:
        found = index.search(query, limit=1)
        if not found:
            return None
        return fuzz.WRatio(normalise(query), normalise(titles[found[0]]))

    shortlisted = [best_score(q) for q in queries]
    monkeypatch.setattr(search, "SHORTLIST", 10**9)  # every title scored
    scanned = [best_score(q) for q in queries]
    # Ties between equally good titles may break differently; the match found may not be worse.
    worse = [
        q for q, a, b in zip(queries, shortlisted, scanned, strict=True) if (a or 0) < (b or 0)
    ]
    assert len(worse) <= len(queries) // 100, worse


def test_a_query_sharing_no_letters_finds_nothing(index: TitleIndex) -> None:
    assert index.search("ǂǂǂ ꙮꙮ") == []
