"""/recommend handler time while a retraining run trains in another process, against idle.

Runs the bot's own Retrainer (a spawned worker process, as in production) on a real SQLite
file and the ML-100k model, and times the chat layer's /recommend for simulated users before
and during the run.

    python bench/retrain_latency.py [--users 30]

Writes bench/results/retrain_latency.json and .md. Bar: p99 during training ≤ 2× idle p99.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import latency_ms, markdown_table, movielens_100k, write

from bot import callbacks as cb
from bot.config import load_settings
from bot.private.chat import Chat, Person
from bot.retrain import Retrainer
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel, Trainer
from recsys.data import default_data_dir
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


async def run(users: int) -> dict[str, object]:
    dataset = movielens_100k()
    with tempfile.TemporaryDirectory() as tmp:
        model_path = Path(tmp) / "model.safetensors"
        train, _ = split_holdout(dataset.ratings)
        model = Trainer().fit(train).with_metadata(holdout_share=HOLDOUT_SHARE)
        model.save(model_path)
        settings = load_settings(
            env_file=None,
            telegram_bot_token=TOKEN,
            model_path=model_path,
            database_path=Path(tmp) / "bot.sqlite3",
            data_dir=default_data_dir().resolve(),
        )
        storage = await Storage.open(settings.database_path)
        service = MovieService(storage, FactorModel.load(model_path), dataset.catalog)
        elicitor_for(service.model)
        chat = Chat(service)
        people = [Person(uid, f"user{uid}", "en") for uid in range(1, users + 1)]
        for person in people:
            for item in dataset.ratings["item_id"].sample(8, random_state=person.user_id):
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=30)
    args = parser.parse_args()
    result = asyncio.run(run(args.users))
    rows = [
        [name.replace("_", " "), str(r["n"]), f"{r['median_ms']:.2f}", f"{r['p99_ms']:.2f}"]
        for name, r in (("idle", result["idle"]), ("during training", result["during_training"]))
    ]
    table = markdown_table(["/recommend", "calls", "median ms", "p99 ms"], rows)
    table += (
        f"\n\np99 during training is {result['ratio_p99']:.2f}× idle (bar: ≤ 2×); the run took "
        f"{result['run_seconds']:.0f} s and ended '{result['run_status']}'."
    )
    write("retrain_latency", result, table)


if __name__ == "__main__":
    main()
