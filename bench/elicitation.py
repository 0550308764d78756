"""Which films to ask a new user about: the adaptive strategy against popularity order and
random order, with simulated new users (20% of users left out, seed 0), on MovieLens 100k or
any catalogue; and how long the adaptive choice of the next film takes (a rating tap's share).

    python bench/elicitation.py [--seed 0]
    python bench/elicitation.py --catalogue /work/bigdata/ml-25m-synthetic --users 1000
    python bench/elicitation.py --held-out 0.3   # every user scored on 30% never asked about
    python bench/elicitation.py --held-out 0.3 --rank-unseen  # "haven't seen" films ranked

Above 2M ratings the model is trained with ``TrainConfig.for_scale()``, as the bot does.
Writes bench/results/elicitation.json, .md and .png (elicitation-<catalogue>.* for others,
with -held-out-<share> when held out).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, latency_ms, markdown_table, movielens_100k, write

from recsys import FactorModel, TrainConfig
from recsys.data import load_dataset
from recsys.elicit_eval import STRATEGIES, Ask, ask_adaptively, run_elicitation_eval
from recsys.plots import plot_elicitation

SCALE_ABOVE = 2_000_000


def timed_adaptive(seconds: list[float]) -> Callable[[FactorModel], Ask]:
    """The adaptive strategy, recording how long each choice takes."""

    def make(model: FactorModel) -> Ask:
        ask = ask_adaptively(model)

        def timed(*args: Any) -> int | None:  # (rated, stars, answered, blocked, rng)
            started = time.perf_counter()
            try:
                return ask(*args)
            finally:
                seconds.append(time.perf_counter() - started)

        return timed

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--catalogue", type=Path, help="a MovieLens folder or zip")
    parser.add_argument("--users", type=int, help="question at most this many new users")
    parser.add_argument(
        "--held-out",
        type=float,
        default=0.0,
        help="score each user on this share of their ratings, which no strategy may ask",
    )
    parser.add_argument(
        "--rank-unseen",
        action="store_true",
        help='rank films answered "haven\'t seen" again (the bot leaves them out)',
    )
    args = parser.parse_args()
    dataset = load_dataset(args.catalogue) if args.catalogue else movielens_100k()
    big = len(dataset.ratings) > SCALE_ABOVE
    config = replace(TrainConfig.for_scale(), seed=args.seed) if big else None
    choice_seconds: list[float] = []
    strategies = {**STRATEGIES, "adaptive": timed_adaptive(choice_seconds)}
    started = time.perf_counter()
    result = run_elicitation_eval(
        dataset.ratings,
        dataset.catalog,
        seed=args.seed,
        config=config,
        max_users=args.users,
        strategies=strategies,
        held_out=args.held_out,
        rank_unseen=args.rank_unseen,
    )
    seconds = time.perf_counter() - started
    result["catalogue"] = {
        "name": dataset.name,
        "ratings": len(dataset.ratings),
        "films": len(dataset.catalog),
        "users": dataset.n_users,
    }
    result["next_film_ms"] = latency_ms(choice_seconds)

    checkpoints = result["questions"]
    rows = [
        [
            name,
            str(row["questions"]),
            f"{row['ndcg@10']:.4f}",
            f"{row['rmse']:.4f}",
            f"{row['rated']:.1f}",
        ]
        for name, strategy_rows in result["strategies"].items()
        for row in strategy_rows
    ]
    table = markdown_table(
        ["strategy", "questions", "NDCG@10", "RMSE", "films rated"],
        sorted(rows, key=lambda r: (int(r[1]), r[0])),
    )
    at_ten = {
        name: r for name, rs in result["strategies"].items() for r in rs if r["questions"] == 10
    }
    if {"adaptive", "popularity", "random"} <= at_ten.keys():
        best_other = max(at_ten["popularity"]["ndcg@10"], at_ten["random"]["ndcg@10"])
        lift = at_ten["adaptive"]["ndcg@10"] / best_other - 1
        table += (
            f"\n\nAfter 10 questions adaptive NDCG@10 is {lift:+.1%} against the better baseline."
        )
    choice = result["next_film_ms"]
    table += (
        f"\n\n{dataset.name}: {len(dataset.ratings):,} ratings, {len(dataset.catalog):,} films. "
        f"Adaptive choice of the next film: median {choice['median_ms']:.2f} ms, p99 "
        f"{choice['p99_ms']:.2f} ms over {len(choice_seconds):,} choices (bar: a tap's 10 ms p99)."
    )
    table += (
        f"\n\n{result['users']} new users, questions asked: {checkpoints}; "
        f"{seconds:.1f} s in all (train {result['seconds']['train']:.1f} s, "
        f"simulate {result['seconds']['simulate']:.1f} s)."
    )
    first = result.get("first_questions", {})
    if first:
        table += "\n\nFirst questions to a user who has seen nothing:\n" + "\n".join(
            f"- {name}: {', '.join(titles[:8])}" for name, titles in first.items()
        )
    RESULTS.mkdir(exist_ok=True)
    name = "elicitation" if args.catalogue is None else f"elicitation-{dataset.name}"
    if args.held_out:
        name += f"-held-out-{args.held_out:g}"
    if args.rank_unseen:
        name += "-rank-unseen"
    png = plot_elicitation(result, RESULTS / f"{name}.png")
    write(name, {**result, "total_seconds": seconds}, table)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
