"""Does search know where the catalogue stops? Two measures against MovieLens 100k (films up
to April 1998):

- 50 well-known films from after 1998, searched by title: how many get guesses (any result)
  instead of "I don't know that film" (bar: at most 5%);
- 200 of the catalogue's own titles with one typo each (a letter swapped with its neighbour,
  dropped, doubled or replaced; seed 0): how many are still found first or second (bar: at
  least 95%).

    python bench/search_limits.py [--seed 0]

Writes bench/results/search_limits.json and search_limits.md.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write

from bot.search import TitleIndex, normalise
from recsys.data import load_catalog

# Chosen for fame (box office, critics' and viewers' top lists), not for how they search.
AFTER_1998 = (
    "The Matrix", "Amélie", "Spirited Away", "The Dark Knight", "Inception", "Gladiator",
    "Memento", "Fight Club", "The Lord of the Rings: The Fellowship of the Ring", "The Departed",
    "Parasite", "Interstellar", "Whiplash", "Django Unchained", "The Prestige", "WALL-E", "Up",
    "Toy Story 3", "Finding Nemo", "Avatar", "The Social Network", "No Country for Old Men",
    "There Will Be Blood", "Pan's Labyrinth", "City of God", "Oldboy", "Mad Max: Fury Road",
    "Get Out", "La La Land", "Moonlight", "The Grand Budapest Hotel", "Slumdog Millionaire",
    "The Sixth Sense", "American Beauty", "Shrek", "Frozen", "Black Panther",
    "Avengers: Endgame", "Joker", "Inglourious Basterds", "The Incredibles", "Ratatouille",
    "Eternal Sunshine of the Spotless Mind", "Kill Bill: Vol. 1", "Gravity", "Her",
    "Zodiac", "Crouching Tiger, Hidden Dragon", "Lost in Translation", "Dune",
)  # fmt: skip


def one_typo(title: str, rng: random.Random) -> str:
    """The title with one typo at a letter: swapped with the next, dropped, doubled, replaced."""
    positions = [i for i, ch in enumerate(title) if ch.isalpha()]
    i = rng.choice(positions)
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap" and i + 1 < len(title):
        return title[:i] + title[i + 1] + title[i] + title[i + 2 :]
    if kind == "drop":
        return title[:i] + title[i + 1 :]
    if kind == "double":
        return title[:i] + title[i] + title[i:]
    other = rng.choice([c for c in string.ascii_lowercase if c != title[i].lower()])
    return title[:i] + other + title[i + 1 :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    assert len(AFTER_1998) == 50
    catalog = load_catalog("ml-100k")
    index = TitleIndex(catalog)

    guessed = {q: [catalog.label(i) for i in index.search(q, 3)] for q in AFTER_1998}
    guesses = {q: found for q, found in guessed.items() if found}

    rng = random.Random(args.seed)
    titles = catalog.frame["title"]
    known = [
        int(i) for i in titles.index if titles[i] != "Unknown" and any(map(str.isalpha, titles[i]))
    ]
    misses: dict[str, list[str]] = {}
    seconds: list[float] = []
    for item in rng.sample(known, 200):
        query = one_typo(catalog.title(item), rng)
        started = time.perf_counter()
        found = index.search(query, 2)
        seconds.append(time.perf_counter() - started)
        # A title the catalogue holds twice (two ids) is found by either id.
        if normalise(catalog.title(item)) not in {normalise(catalog.title(i)) for i in found}:
            misses[f"{query} (for {catalog.label(item)})"] = [catalog.label(i) for i in found]
    found_share = 1 - len(misses) / 200
    guess_share = len(guesses) / len(AFTER_1998)
    rows = [
        ["post-1998 titles that get guesses", f"{len(guesses)} / 50 ({guess_share:.0%})", "≤ 5%",
         "pass" if guess_share <= 0.05 else "FAIL"],
        ["typo'd catalogue titles found 1st or 2nd",
         f"{200 - len(misses)} / 200 ({found_share:.1%})", "≥ 95%",
         "pass" if found_share >= 0.95 else "FAIL"],
        ["search time, typo'd titles, p99", f"{sorted(seconds)[197] * 1000:.2f} ms", "", ""],
    ]  # fmt: skip
    table = markdown_table(["measure", "value", "bar", ""], rows)
    if guesses:
        table += "\n\nGuesses: " + "; ".join(f"{q} → {', '.join(f)}" for q, f in guesses.items())
    if misses:
        table += "\n\nTypos not found first or second: " + "; ".join(
            f"{q} → {', '.join(f) or 'nothing'}" for q, f in misses.items()
        )
    table += f"\n\nNot found, the bot says: {index.not_found('The Matrix')}"
    write(
        "search_limits",
        {
            "guess_share": guess_share,
            "guesses": guesses,
            "typo_found_share": found_share,
            "typo_misses": misses,
            "search_ms_p99": sorted(seconds)[197] * 1000,
            "seed": args.seed,
        },
        table,
    )


if __name__ == "__main__":
    main()
