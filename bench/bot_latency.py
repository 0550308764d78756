"""Handler time of the bot with the ML-100k model, network excluded.

Drives the chat layer (what every Telegram handler calls) with a real SQLite file and the real
model: simulated users tap ★ buttons on rating cards (storing the rating and choosing the next
film), ask for /recommend (fold-in from stored ratings, ranking, stars, reasons) and for
/similar (title search, then the served similar films).

    python bench/bot_latency.py [--users 50] [--taps 20] [--model models/model.safetensors]

Writes bench/results/bot_latency.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_ms, markdown_table, movielens_100k, write

from bot import callbacks as cb
from bot.private.chat import Chat, Person
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel, Trainer
from recsys.elicit import elicitor_for

SIMILAR_TO = ("toy story", "titanic", "star wars")


async def run(model: FactorModel, users: int, taps: int) -> dict[str, dict[str, float]]:
    dataset = movielens_100k()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        storage = await Storage.open(Path(tmp) / "bench.sqlite3")
        chat = Chat(MovieService(storage, model, dataset.catalog))
        elicitor_for(model)  # as the bot does at start-up
        tap_times, recommend_times, start_times, similar_times = [], [], [], []
        for uid in range(1, users + 1):
            person = Person(uid, f"user{uid}", "en")
            t0 = time.perf_counter()
            replies = await chat.command(person, "start")
            start_times.append(time.perf_counter() - t0)
            card = replies[-1]
            for _ in range(taps):
                label = f"★{rng.integers(1, 6)}"
                data = next(b.data for row in card.buttons for b in row if b.label == label)
                t0 = time.perf_counter()
                outcome = await chat.button(person, data or "")
                tap_times.append(time.perf_counter() - t0)
                assert outcome.edit is not None
                card = outcome.edit
            for _ in range(3):
                t0 = time.perf_counter()
                await chat.command(person, "recommend")
                recommend_times.append(time.perf_counter() - t0)
            for title in SIMILAR_TO:
                t0 = time.perf_counter()
                await chat.command(person, "similar", title)
                similar_times.append(time.perf_counter() - t0)
        await storage.close()
    assert cb  # the taps above go through bot.callbacks
    return {
        "start": latency_ms(start_times),
        "rating_tap": latency_ms(tap_times),
        "recommend": latency_ms(recommend_times),
        "similar": latency_ms(similar_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--taps", type=int, default=20)
    parser.add_argument("--model", type=Path, default=Path("models/model.safetensors"))
    args = parser.parse_args()
    if args.model.exists():
        model = FactorModel.load(args.model)
    else:
        model = Trainer().fit(movielens_100k().ratings)
    results = asyncio.run(run(model, args.users, args.taps))
    rows = [
        [name.replace("_", " "), str(r["n"]), f"{r['median_ms']:.2f}", f"{r['p99_ms']:.2f}"]
        for name, r in results.items()
    ]
    table = markdown_table(["handler", "calls", "median ms", "p99 ms"], rows)
    write("bot_latency", results, table)


if __name__ == "__main__":
    main()
