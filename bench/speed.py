"""Speed on MovieLens 100k: training wall time, fold-in and recommend latency.

    python bench/speed.py [--repeats 3] [--users 2000]

Writes bench/results/speed.json and speed.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, movielens_100k, write

from recsys import Trainer
from recsys.data import load_dataset


def percentiles(samples: list[float]) -> dict[str, float]:
    micro = np.asarray(samples) * 1e6
    return {"median_us": float(np.median(micro)), "p99_us": float(np.percentile(micro, 99))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--users", type=int, default=2000)
    args = parser.parse_args()
    ratings = movielens_100k().ratings
    reads = []
    for _ in range(max(args.repeats, 5)):
        started = time.perf_counter()
        load_dataset("ml-100k")  # from the binary cache the first read left
        reads.append(time.perf_counter() - started)

    fits = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        model = Trainer().fit(ratings)
        fits.append(time.perf_counter() - started)
    print(f"train: {np.median(fits):.2f} s median of {args.repeats}", flush=True)

    rng = np.random.default_rng(0)
    items = model.item_ids
    fold_in, recommend, both, predict = [], [], [], []
    for _ in range(args.users):
        rated = rng.choice(items, 20, replace=False)
        stars = rng.integers(1, 6, 20).astype(np.float32)
        t0 = time.perf_counter()
        vector = model.fold_in(rated, stars)
        t1 = time.perf_counter()
        top, _ = model.recommend(vector, n=10, exclude=rated)
        t2 = time.perf_counter()
        model.predict(vector, top)
        t3 = time.perf_counter()
        fold_in.append(t1 - t0)
        recommend.append(t2 - t1)
        both.append(t2 - t0)
        predict.append(t3 - t2)
    results = {
        "train_seconds_median": float(np.median(fits)),
        "train_seconds": fits,
        "read_ml100k_seconds_median": float(np.median(reads)),
        "fold_in_20_ratings": percentiles(fold_in),
        "recommend_top10": percentiles(recommend),
        "fold_in_plus_top10": percentiles(both),
        "predict_stars_top10": percentiles(predict),
        "catalogue": int(model.n_items),
    }
    rows = [
        ["read ML-100k (cached, median)", f"{1e3 * np.median(reads):.0f} ms", "–"],
        ["train ML-100k (wall, median)", f"{np.median(fits):.2f} s", "–"],
    ]
    for name in (
        "fold_in_20_ratings",
        "recommend_top10",
        "fold_in_plus_top10",
        "predict_stars_top10",
    ):
        r = results[name]
        rows.append([name.replace("_", " "), f"{r['median_us']:.0f} µs", f"{r['p99_us']:.0f} µs"])
    write("speed", results, markdown_table(["what", "median", "p99"], rows))


if __name__ == "__main__":
    main()
