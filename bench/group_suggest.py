"""Handler time of a movie night's "Suggest" press with the ML-100k model, network excluded.

Drives the group layer (what the Telegram handler calls) with a real SQLite file and the real
model: ten members, each holding the ratings of a real MovieLens user (a random sample of
them), join a fresh night; then one presses Suggest, which folds every member in, predicts
every catalogue film for each, aggregates without misery and opens the vote. The bar is
100 ms.

    python bench/group_suggest.py [--members 10] [--ratings 40] [--rounds 100]

Writes bench/results/group_suggest.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_ms, markdown_table, movielens_100k, write

from bot import callbacks as cb
from bot.movienight.flow import Group, GroupChat
from bot.replies import Person
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel, Trainer

BAR_MS = 100.0
CHAT = GroupChat(-100, "Bench club", "moviebot_bench_bot")


async def seed_members(
    storage: Storage, frame: pd.DataFrame, members: int, ratings: int, rng: np.random.Generator
) -> list[Person]:
    """Members who hold ``ratings`` ratings of distinct users of ``frame`` each."""
    counts = frame["user_id"].value_counts()
    donors = rng.choice(counts[counts >= ratings].index.to_numpy(), members, replace=False)
    people = []
    for n, donor in enumerate(donors, start=1):
        person = Person(n, f"member{n}", "en")
        await storage.ensure_user(person.user_id, person.first_name, "en")
        theirs = frame[frame["user_id"] == donor].sample(ratings, random_state=n)
        for item, stars in zip(theirs["item_id"], theirs["rating"], strict=True):
            await storage.rate(person.user_id, int(item), float(stars))
        people.append(person)
    return people


async def run(model: FactorModel, members: int, ratings: int, rounds: int) -> dict[str, dict]:
    dataset = movielens_100k()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        storage = await Storage.open(Path(tmp) / "bench.sqlite3")
        group = Group(MovieService(storage, model, dataset.catalog))
        people = await seed_members(storage, dataset.ratings, members, ratings, rng)
        join_times, suggest_times = [], []
        for round_ in range(rounds):
            out = await group.command(people[0], CHAT, "movienight", addressed=False)
            assert out.night_post is not None
            night_id = out.night_post[0]
            message_id = 2 * round_ + 1
            await group.night_posted(night_id, message_id)
            for person in people:
                t0 = time.perf_counter()
                await group.button(person, CHAT, message_id, cb.build(cb.NightJoin(night_id)))
                join_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            out = await group.button(
                people[-1], CHAT, message_id, cb.build(cb.NightSuggest(night_id))
            )
            suggest_times.append(time.perf_counter() - t0)
            assert out.vote is not None and len(out.vote.options) == 5, out
            await group.vote_posted(night_id, f"poll-{round_}", message_id + 1)
            await group.vote_closed(night_id)
        await storage.close()
    return {"suggest": latency_ms(suggest_times), "join": latency_ms(join_times)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--ratings", type=int, default=40, help="ratings held by each member")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--model", type=Path, default=Path("models/model.safetensors"))
    args = parser.parse_args()
    if args.model.exists():
        model = FactorModel.load(args.model)
    else:
        model = Trainer().fit(movielens_100k().ratings)
    results = asyncio.run(run(model, args.members, args.ratings, args.rounds))
    rows = [
        [f"{name} press", str(r["n"]), f"{r['median_ms']:.2f}", f"{r['p99_ms']:.2f}"]
        for name, r in results.items()
    ]
    table = markdown_table(["handler", "calls", "median ms", "p99 ms"], rows)
    suggest_p99 = results["suggest"]["p99_ms"]
    verdict = "meets" if suggest_p99 <= BAR_MS else "MISSES"
    table += (
        f"\n\n{args.members} members × {args.ratings} ratings each, {model.n_items} films; "
        f"Suggest p99 {suggest_p99:.1f} ms {verdict} the {BAR_MS:.0f} ms bar."
    )
    payload = {
        "members": args.members,
        "ratings_per_member": args.ratings,
        "films": model.n_items,
        "bar_ms": BAR_MS,
        "meets_bar": suggest_p99 <= BAR_MS,
        "model": str(args.model) if args.model.exists() else "trained: Trainer() defaults",
        **results,
    }
    write("group_suggest", payload, table)


if __name__ == "__main__":
    main()
