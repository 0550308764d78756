"""/recommend handler time while a retraining run trains in another process, against idle.

Runs the bot's own Retrainer (a spawned worker process on one core, as in production) on a
real SQLite file and the ML-100k model, or any catalogue with a model trained beforehand, and
times the chat layer's /recommend for simulated users before and during the run.

    python bench/retrain_latency.py [--users 30]
    python bench/retrain_latency.py --catalogue /work/bigdata/ml-25m-synthetic --model FILE

Writes bench/results/retrain_latency.json and .md (retrain_latency-<catalogue>.* for another
catalogue). Bars: p99 during training ≤ 2× idle p99; at scale, the run within 30 min and the
worker's peak RSS ≤ 6 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_ms, markdown_table, movielens_100k, write

from bot import callbacks as cb
from bot.config import load_settings
from bot.private.chat import Chat, Person
from bot.retrain import Retrainer
from bot.runtime import single_threaded_maths
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel, Trainer
from recsys.data import default_data_dir, load_catalog
from recsys.elicit import elicitor_for
from recsys.holdout import HOLDOUT_SHARE, split_holdout

TOKEN = "123456:" + "C" * 35


async def recommend_times(chat: Chat, people: list[Person], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        for person in people:
            started = time.perf_counter()
            await chat.command(person, "recommend")
            times.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)  # users are not a tight loop
    return times


async def run(users: int, catalogue: str | None, model_file: Path | None) -> dict[str, object]:
    single_threaded_maths()  # as the bot process does
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "model.safetensors"
        if catalogue is None:
            dataset = movielens_100k()
            catalog = dataset.catalog
            train, _ = split_holdout(dataset.ratings)
            model = Trainer().fit(train).with_metadata(holdout_share=HOLDOUT_SHARE)
            model.save(model_path)
        else:
            assert model_file is not None, "--catalogue needs its --model"
            catalog = load_catalog(catalogue)
            shutil.copy(model_file, model_path)
        settings = load_settings(
            env_file=None,
            telegram_bot_token=TOKEN,
            model_path=model_path,
            database_path=Path(tmp) / "bot.sqlite3",
            data_dir=default_data_dir().resolve(),
            catalogue=catalogue or "ml-100k",
        )
        storage = await Storage.open(settings.database_path)
        service = MovieService(storage, FactorModel.load(model_path), catalog)
        elicitor_for(service.model)
        chat = Chat(service)
        people = [Person(uid, f"user{uid}", "en") for uid in range(1, users + 1)]
        known = service.model.item_ids
        for person in people:
            rng = np.random.default_rng(person.user_id)
            for item in rng.choice(known[: min(len(known), 2000)], 8, replace=False):
                await chat.button(person, cb.build(cb.Rate(int(item), 4.0)))
        idle = await recommend_times(chat, people, 5)
        retrainer = Retrainer(settings, storage, service)
        run_task = asyncio.create_task(retrainer.start("admin:1"))
        busy: list[float] = []
        while not run_task.done():
            busy += await recommend_times(chat, people, 1)
        report = run_task.result()
        await storage.close()
    idle_stats, busy_stats = latency_ms(idle), latency_ms(busy)
    return {
        "idle": idle_stats,
        "during_training": busy_stats,
        "ratio_p99": busy_stats["p99_ms"] / idle_stats["p99_ms"],
        "run_status": report.status,
        "run_seconds": report.seconds,
        "run_error": report.error,
        # The largest resident set of any child process: the training worker.
        "worker_peak_rss_gb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--catalogue", help="a MovieLens folder (default: ML-100k)")
    parser.add_argument("--model", type=Path, help="the serving model of --catalogue")
    args = parser.parse_args()
    result = asyncio.run(run(args.users, args.catalogue, args.model))
    rows = [
        [name.replace("_", " "), str(r["n"]), f"{r['median_ms']:.2f}", f"{r['p99_ms']:.2f}"]
        for name, r in (("idle", result["idle"]), ("during training", result["during_training"]))
    ]
    table = markdown_table(["/recommend", "calls", "median ms", "p99 ms"], rows)
    table += (
        f"\n\np99 during training is {result['ratio_p99']:.2f}× idle (bar: ≤ 2×); the run took "
        f"{result['run_seconds'] / 60:.1f} min and ended '{result['run_status']}'; the "
        f"training worker's peak RSS was {result['worker_peak_rss_gb']:.2f} GB."
    )
    name = "retrain_latency"
    if args.catalogue:
        name += f"-{Path(args.catalogue).name}"
    write(name, result, table)


if __name__ == "__main__":
    main()
