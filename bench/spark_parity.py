"""Parity of the Spark engine with the torch engine on MovieLens 100k, on the same 5 folds
(``bench/accuracy.py --engine spark``): star RMSE against the torch star head alone (no
neighbour or Bayesian head in the blend: Spark has neither), NDCG@10 against the torch rank
head.

Writes bench/results/accuracy-spark.json and accuracy-spark.md.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np
from common import markdown_table, movielens_100k, write

from recsys import TrainConfig, Trainer
from recsys.baselines import ModelScorer
from recsys.evaluate import kfold_splits, new_user_split, score

RMSE_BAR = 0.02  # Spark's star RMSE at most 2% above torch's star head alone
NDCG_BAR = 0.05  # Spark's NDCG@10 at most 5% below torch's rank head
KEYS = ("rmse", "mae", "precision@10", "recall@10", "ndcg@10", "coverage@10", "fit_seconds")


def run(folds: int, seed: int, master: str = "local[2]") -> None:
    from recsys.spark import SparkTrainConfig
    from recsys.spark.engine import train_spark
    from recsys.spark.ratings import from_frame
    from recsys.spark.session import spark_session

    dataset = movielens_100k()
    ratings, genres = dataset.ratings, dataset.catalog.genres_by_item()
    # The torch star head alone: the served config without the heads it is blended with.
    torch_config = replace(TrainConfig(), neighbours=0, bayes_samples=0)
    spark_config = SparkTrainConfig.from_train_config(torch_config)
    per_fold: dict[str, list[dict[str, float]]] = {"torch": [], "spark": []}
    with spark_session(master, driver_memory="1g") as spark:
        for fold, (train, test) in enumerate(kfold_splits(ratings, folds, seed)):
            started = time.perf_counter()
            model = Trainer(torch_config).fit(train, genres)
            seconds = time.perf_counter() - started
            per_fold["torch"].append(_score(model, train, test, seconds))
            started = time.perf_counter()
            model = train_spark(from_frame(spark, train), spark_config)
            seconds = time.perf_counter() - started
            per_fold["spark"].append(_score(model, train, test, seconds))
            print(
                f"  fold {fold}: "
                + ", ".join(
                    f"{name} rmse {rows[-1]['rmse']:.4f} ndcg@10 {rows[-1]['ndcg@10']:.4f}"
                    for name, rows in per_fold.items()
                ),
                flush=True,
            )
        print("  new users folded in from 10 ratings", flush=True)
        split = new_user_split(ratings, 0.2, 10, seed)
        new_users = {
            "torch": _folded(Trainer(torch_config).fit(split.train, genres), split),
            "spark": _folded(train_spark(from_frame(spark, split.train), spark_config), split),
        }
        version = spark.version
    means = {name: _mean(rows) for name, rows in per_fold.items()}
    torch_m, spark_m = means["torch"], means["spark"]
    rmse_gap = spark_m["rmse"] / torch_m["rmse"] - 1
    ndcg_gap = spark_m["ndcg@10"] / torch_m["ndcg@10"] - 1
    table = markdown_table(
        ["engine (ML-100k, 5 folds)", *KEYS],
        [
            [
                "torch: star head alone + rank head",
                *(_cell(torch_m, key) for key in KEYS),
            ],
            [f"Spark {version} MLlib ALS ({master})", *(_cell(spark_m, key) for key in KEYS)],
        ],
    )
    table += "\n\n" + markdown_table(
        ["parity", "Spark vs torch", "bar", "verdict"],
        [
            ["star RMSE", f"{rmse_gap:+.2%}", f"≤ +{RMSE_BAR:.0%}", _verdict(rmse_gap <= RMSE_BAR)],
            ["NDCG@10", f"{ndcg_gap:+.2%}", f"≥ −{NDCG_BAR:.0%}", _verdict(ndcg_gap >= -NDCG_BAR)],
        ],
    )
    table += "\n\n" + markdown_table(
        ["new users, folded in from 10 ratings", "rmse", "ndcg@10", "precision@10"],
        [
            [name, *(f"{m[key]:.4f}" for key in ("rmse", "ndcg@10", "precision@10"))]
            for name, m in new_users.items()
        ],
    )
    payload: dict[str, Any] = {
        "new_users": new_users,
        "folds": folds,
        "seed": seed,
        "master": master,
        "spark_version": version,
        "torch_config": torch_config.to_dict(),
        "spark_config": spark_config.to_dict(),
        "mean": means,
        "per_fold": per_fold,
        "rmse_gap": rmse_gap,
        "ndcg_gap": ndcg_gap,
    }
    write("accuracy-spark", payload, table)


def _score(model: Any, train: Any, test: Any, seconds: float) -> dict[str, float]:
    return {**score(ModelScorer(model, history=train), train, test), "fit_seconds": seconds}


def _folded(model: Any, split: Any) -> dict[str, float]:
    """The new users are not in the model: ModelScorer folds each in from their known
    ratings, as the bot does with its users."""
    return score(ModelScorer(model, history=split.known), split.known, split.hidden)


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}


def _cell(metrics: dict[str, float], key: str) -> str:
    return f"{metrics[key]:.2f}" if key == "fit_seconds" else f"{metrics[key]:.4f}"


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"
