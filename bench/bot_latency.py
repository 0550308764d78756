"""Handler time of the bot, network excluded, on ML-100k or any catalogue.

Drives the chat and group layers (what every Telegram handler calls) with a real SQLite file,
the real catalogue and the real model, as the bot process holds them (the catalogue without
its ratings): simulated users tap ★ buttons on rating cards (storing the rating and choosing
the next film), ask for /recommend (fold-in from stored ratings, ranking, stars, reasons),
/search a title (a catalogue title, one in four with a typo) and ask /similar; ten members of
a movie night, each holding the ratings of a real user of the release, press Suggest.

    python bench/bot_latency.py [--catalogue ml-25m | PATH] [--model FILE]
                                [--users 50] [--taps 20] [--rounds 50]

Issue 13's bars (p99): tap 10 ms, /recommend 20 ms, /search 10 ms, /similar 10 ms, Suggest for
10 members 150 ms. Writes bench/results/bot_latency.json and .md (bot_latency-<catalogue>.*
for another catalogue than ML-100k).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_ms, markdown_table, movielens_100k, write
from group_suggest import CHAT, seed_members

from bot import callbacks as cb
from bot.movienight.flow import Group
from bot.private.chat import Chat, Person
from bot.runtime import single_threaded_maths
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel, Trainer
from recsys.data import Catalog, load_catalog
from recsys.data.load import load_ratings_head
from recsys.elicit import elicitor_for

BARS_MS = {"rating_tap": 10.0, "recommend": 20.0, "search": 10.0, "similar": 10.0,
           "suggest": 150.0}  # fmt: skip
MEMBERS, MEMBER_RATINGS = 10, 40
T = TypeVar("T")
RATINGS_SAMPLE_BYTES = 20_000_000  # the first users of the ratings file, for the members


def queries(catalog: Catalog, model: FactorModel, n: int, rng: np.random.Generator) -> list[str]:
    """Titles people would type: films the model knows, lower case, one in four with one
    letter dropped, one in four with the year."""
    known = catalog.frame[catalog.frame.index.isin(model.item_ids)]
    chosen = known.iloc[rng.choice(len(known), n, replace=len(known) < n)]
    out = []
    for title, year in zip(chosen["title"], chosen["year"], strict=True):
        text = str(title).lower()
        roll = rng.random()
        if roll < 0.25 and len(text) > 4:
            cut = int(rng.integers(1, len(text) - 1))
            text = text[:cut] + text[cut + 1 :]
        elif roll < 0.5 and not pd.isna(year):
            text = f"{text} {year}"
        out.append(text)
    return out


async def run(
    model: FactorModel,
    catalog: Catalog,
    members_frame: pd.DataFrame,
    users: int,
    taps: int,
    rounds: int,
) -> dict[str, dict[str, float]]:
    single_threaded_maths()  # as the bot process does at start-up
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {name: [] for name in ["start", *BARS_MS]}
    cpu: dict[str, list[float]] = {name: [] for name in times}

    async def timed(name: str, call: Awaitable[T]) -> T:
        t0, c0 = time.perf_counter(), time.process_time()
        result = await call
        times[name].append(time.perf_counter() - t0)
        cpu[name].append(time.process_time() - c0)
        return result

    with tempfile.TemporaryDirectory() as tmp:
        storage = await Storage.open(Path(tmp) / "bench.sqlite3")
        service = MovieService(storage, model, catalog)
        chat, group = Chat(service), Group(service)
        elicitor_for(model)  # as the bot does at start-up
        titles = queries(catalog, model, users * 6, rng)
        for uid in range(1, users + 1):
            person = Person(uid, f"user{uid}", "en")
            replies = await timed("start", chat.command(person, "start"))
            card = replies[-1]
            for _ in range(taps):
                label = f"★{rng.integers(1, 6)}"
                data = next(b.data for row in card.buttons for b in row if b.label == label)
                outcome = await timed("rating_tap", chat.button(person, data or ""))
                assert outcome.edit is not None
                card = outcome.edit
            for _ in range(3):
                await timed("recommend", chat.command(person, "recommend"))
                await timed("search", chat.text(person, titles.pop()))
            for _ in range(3):
                await timed("similar", chat.command(person, "similar", titles.pop()))
        people = await seed_members(storage, members_frame, MEMBERS, MEMBER_RATINGS, rng)
        for round_ in range(rounds):
            out = await group.command(people[0], CHAT, "movienight", addressed=False)
            assert out.night_post is not None
            night_id, message_id = out.night_post[0], 2 * round_ + 1
            await group.night_posted(night_id, message_id)
            for person in people:
                await group.button(person, CHAT, message_id, cb.build(cb.NightJoin(night_id)))
            suggest = cb.build(cb.NightSuggest(night_id))
            out = await timed("suggest", group.button(people[-1], CHAT, message_id, suggest))
            assert out.vote is not None, out
            await group.vote_posted(night_id, f"poll-{round_}", message_id + 1)
            await group.vote_closed(night_id)
        await storage.close()
    return {
        name: {**latency_ms(samples), "cpu_p99_ms": latency_ms(cpu[name])["p99_ms"]}
        for name, samples in times.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalogue", help="a release name or a MovieLens folder or zip")
    parser.add_argument("--model", type=Path, default=Path("models/model.safetensors"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--taps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=50, help="movie nights suggested")
    args = parser.parse_args()
    if args.catalogue is None:
        dataset = movielens_100k()
        catalog, members = dataset.catalog, dataset.ratings
        model = (
            FactorModel.load(args.model)
            if args.model.exists()
            else Trainer().fit(dataset.ratings, catalog.genres_by_item())
        )
    else:
        catalog = load_catalog(args.catalogue)
        members = load_ratings_head(args.catalogue, RATINGS_SAMPLE_BYTES)
        model = FactorModel.load(args.model)
    load = os.getloadavg()[0]
    results = asyncio.run(run(model, catalog, members, args.users, args.taps, args.rounds))
    payload_load = {"start": load, "end": os.getloadavg()[0]}
    rows = []
    for name, r in results.items():
        bar = BARS_MS.get(name)
        verdict = "–" if bar is None else f"{bar:.0f} ms " + ("✓" if r["p99_ms"] <= bar else "✗")
        label = "Suggest (10 members)" if name == "suggest" else name.replace("_", " ")
        cells = [f"{r[key]:.2f}" for key in ("median_ms", "p99_ms", "cpu_p99_ms")]
        rows.append([label, str(r["n"]), *cells, verdict])
    header = ["handler", "calls", "median ms", "p99 ms", "CPU p99 ms", "bar (p99)"]
    table = markdown_table(header, rows)
    table += (
        f"\n\n{catalog.name or 'ml-100k'}: {len(catalog):,} films, model of {model.n_items:,} "
        f"films and {model.n_users:,} users; load average {load:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end. CPU p99: the process's CPU time per call, "
        "which other programs on the machine do not stretch."
    )
    payload = {
        "catalogue": catalog.name,
        "films": len(catalog),
        "model": str(args.model),
        "load_average": payload_load,
        "bars_ms": BARS_MS,
        **results,
    }
    name = "bot_latency" if args.catalogue is None else f"bot_latency-{catalog.name}"
    write(name, payload, table)


if __name__ == "__main__":
    main()
