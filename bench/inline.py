"""Inline mode's handler time with the ML-100k model, network excluded.

What one ``@bot <words>`` costs the bot: finding the films (or, for no words, ranking the
asker's recommendations), predicting the asker's stars, writing the answer's JSON. Askers are
strangers (never wrote to the bot) or regulars with 20 stored ratings; the words are what a
person types letter by letter ("h", "he", "hea", "heat"), whole titles, and nonsense. One
untimed query warms up what the bot builds once, on its first personal ranking.

    python bench/inline.py [--users 40] [--model models/model.safetensors]

Writes bench/results/inline.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_ms, markdown_table, movielens_100k, serving_model, write

from bot.inline import views
from bot.inline.offers import offers
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel

TITLES = ("heat", "star wars", "the godfather", "toy story", "fargo", "alien", "casablanca")
NONSENSE = ("qzxvw", "jjjkq zz", "xkcd 3000")


def typed(title: str) -> list[str]:
    """What an inline query sees while ``title`` is typed: every prefix."""
    return [title[:n] for n in range(1, len(title) + 1)]


async def run(model: FactorModel, users: int) -> dict[str, dict[str, float]]:
    dataset = movielens_100k()
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        storage = await Storage.open(Path(tmp) / "bench.sqlite3")
        service = MovieService(storage, model, dataset.catalog)
        films = dataset.catalog.item_ids
        for uid in range(1, users + 1):
            regular = uid % 2 == 0
            if regular:
                await service.register(uid, f"user{uid}", "en")
                for item in rng.choice(films, size=20, replace=False):
                    await service.rate(uid, int(item), float(rng.integers(1, 6)))
            who = "regular" if regular else "stranger"
            if uid == 2:  # the first personal ranking builds lookups that last (as in the bot)
                await offers(service, uid, "")
            queries = [("empty", "")] * 10
            queries += [("title", text) for title in TITLES for text in typed(title)]
            queries += [("unknown", text) for text in NONSENSE]
            for kind, text in queries:
                t0 = time.perf_counter()
                found = await offers(service, uid, text)
                json.dumps(views.answer("1", found, "moviebot"))  # what goes on the wire
                times.setdefault(f"{kind}, {who}", []).append(time.perf_counter() - t0)
        await storage.close()
    every = [t for samples in times.values() for t in samples]
    return {**{k: latency_ms(v) for k, v in sorted(times.items())}, "all": latency_ms(every)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--model", type=Path, default=Path("models/model.safetensors"))
    args = parser.parse_args()
    results = asyncio.run(run(serving_model(args.model), args.users))
    rows = [
        [name, str(r["n"]), f"{r['median_ms']:.2f}", f"{r['p99_ms']:.2f}", f"{r['max_ms']:.2f}"]
        for name, r in results.items()
    ]
    table = markdown_table(
        ["inline query, asker", "queries", "median ms", "p99 ms", "max ms"], rows
    )
    write("inline", results, table)


if __name__ == "__main__":
    main()
