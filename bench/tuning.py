"""What ``recsys tune`` buys on three data sets of different shapes: MovieLens 100k, a planted
low-rank set with a known oracle, and a synthetic set shaped like ml-latest-small.

Each set is split once (a random 20% of ratings for test, seed 0); ``tune`` sees only the
other 80% (it holds out its own validation share from them). Default and tuned configs are
then trained on the 80% and scored on the test ratings: RMSE of the served stars, NDCG@10
with every unrated film ranked (relevant: test stars ≥ 4).

    python bench/tuning.py [--budget-minutes 5] [--sets ml-100k,planted,small] [--name tuning]

Writes bench/results/<name>.json and <name>.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, movielens_100k, write
from synthetic import ML_LATEST_SMALL_SHAPE, generate, planted

from recsys.baselines import ModelScorer
from recsys.config import TrainConfig
from recsys.evaluate import score
from recsys.metrics import rmse
from recsys.train import Trainer
from recsys.tune import tune


def as_ratings(release: pd.DataFrame) -> pd.DataFrame:
    """A release's ratings.csv columns under the names recsys uses."""
    return release.rename(columns={"userId": "user_id", "movieId": "item_id"})


def data_sets(names: list[str]) -> dict[str, tuple[pd.DataFrame, np.ndarray | None]]:
    """Ratings (user_id, item_id, rating, timestamp) and, where known, the oracle's stars,
    in the order of ``names``."""
    sets: dict[str, tuple[pd.DataFrame, np.ndarray | None]] = {}
    for name in names:
        if name == "ml-100k":
            sets["ml-100k"] = (movielens_100k().ratings, None)
        elif name == "planted":
            frame, oracle = planted()
            sets["planted (3,000 × 2,000, rank 6, noise 0.6)"] = (as_ratings(frame), oracle)
        elif name == "small":
            shape = ML_LATEST_SMALL_SHAPE
            frame = generate(shape["users"], shape["items"], shape["ratings"], seed=0)
            sets["ml-latest-small-shaped"] = (as_ratings(frame), None)
        else:
            raise SystemExit(f"unknown data set {name!r}: ml-100k, planted or small")
    return sets


def holdout(ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """A random 20% of ratings for test (seed 0), less those of users or films absent from
    the other 80%; also the test ratings' positions in ``ratings``."""
    test_mask = np.random.default_rng(0).random(len(ratings)) < 0.2
    train, test = ratings[~test_mask], ratings[test_mask]
    known = test["user_id"].isin(train["user_id"]) & test["item_id"].isin(train["item_id"])
    keep = known.to_numpy()
    return train, test[keep], np.flatnonzero(test_mask)[keep]


def measure(ratings: pd.DataFrame, oracle: np.ndarray | None, budget: float) -> dict[str, object]:
    train, test, tested = holdout(ratings)
    started = time.perf_counter()
    result = tune(train, budget_minutes=budget)
    tune_seconds = time.perf_counter() - started
    out: dict[str, object] = {
        "ratings": len(ratings),
        "tune_seconds": tune_seconds,
        "trials": result.trials,
        "validation": {"default": result.default, "tuned": result.tuned},
        "changed": {k: list(v) for k, v in result.changed(TrainConfig()).items()},
    }
    for name, config in (("default", TrainConfig()), ("tuned", result.config)):
        model = Trainer(config).fit(train)
        out[name] = score(ModelScorer(model, history=train), train, test)
        print(f"  {name}: {out[name]}", flush=True)
    if oracle is not None:
        out["oracle_rmse"] = rmse(oracle[tested], test["rating"].to_numpy())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget-minutes", type=float, default=5.0)
    parser.add_argument("--sets", default="ml-100k,planted,small")
    parser.add_argument("--name", default="tuning", help="results file name (bench/results/)")
    args = parser.parse_args()
    results = {}
    for name, (ratings, oracle) in data_sets(args.sets.split(",")).items():
        print(name, flush=True)
        results[name] = measure(ratings, oracle, args.budget_minutes)
    rows = []
    for name, r in results.items():
        d = cast(dict[str, float], r["default"])
        t = cast(dict[str, float], r["tuned"])
        best = cast(float | None, r.get("oracle_rmse"))
        ratio = f"{d['rmse'] / best:.3f}× → {t['rmse'] / best:.3f}×" if best is not None else "–"
        rows.append([
            name, f"{r['ratings']:,}", f"{d['rmse']:.4f} → {t['rmse']:.4f}",
            f"{d['ndcg@10']:.4f} → {t['ndcg@10']:.4f}", ratio,
            f"{cast(float, r['tune_seconds']) / 60:.1f}",
        ])  # fmt: skip
    table = markdown_table(
        ["data set", "ratings", "RMSE default → tuned", "NDCG@10 default → tuned",
         "RMSE / oracle", "tune minutes"],
        rows,
    )  # fmt: skip
    write(args.name, {"budget_minutes": args.budget_minutes, "sets": results}, table)


if __name__ == "__main__":
    main()
