"""Which films to ask a new user about: the adaptive strategy against popularity order and
random order, with simulated new users on MovieLens 100k (20% of users left out, seed 0).

    python bench/elicitation.py [--seed 0]

Writes bench/results/elicitation.json, elicitation.md and elicitation.png.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, markdown_table, movielens_100k, write

from recsys.elicit_eval import run_elicitation_eval
from recsys.plots import plot_elicitation


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    dataset = movielens_100k()
    started = time.perf_counter()
    result = run_elicitation_eval(dataset.ratings, dataset.catalog, seed=args.seed)
    seconds = time.perf_counter() - started

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
    png = plot_elicitation(result, RESULTS / "elicitation.png")
    write("elicitation", {**result, "total_seconds": seconds}, table)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
