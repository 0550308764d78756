"""The retraining job, run in a separate process so the bot's event loop never waits for it.

``train_candidate`` reads the base MovieLens ratings and a snapshot of the bot's ratings,
trains a new model on all of it but a fixed holdout, scores the new and the serving model on
that same holdout, and writes the candidate file. It reports progress through a small JSON
file that the bot reads. Everything it takes and returns is plain data (picklable).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TrainJob:
    data_dir: str
    dataset: str
    snapshot: str  # Parquet with user_id, item_id, rating of the bot's users
    serving_model: str
    candidate: str
    progress: str
    config: dict[str, Any]
    engine: str = "torch"  # or "spark"
    spark_master: str = "local[*]"


def combined_ratings(
    base: pd.DataFrame, bot_users: np.ndarray, items: np.ndarray, stars: np.ndarray
) -> pd.DataFrame:
    """MovieLens ratings plus the bot's; bot users become new users of the model (ids above
    every MovieLens id), films keep their MovieLens ids."""
    first = int(base["user_id"].max()) + 1
    telegram_ids = np.unique(bot_users)
    mapped = first + np.searchsorted(telegram_ids, bot_users)
    bot = pd.DataFrame(
        {
            "user_id": mapped.astype(np.int32),
            "item_id": items.astype(np.int32),
            "rating": stars.astype(np.float32),
            "timestamp": np.full(len(items), int(time.time()), np.int64),
        }
    )
    known = bot["item_id"].isin(base["item_id"].unique())
    return pd.concat([base, bot[known]], ignore_index=True)


def train_candidate(job: TrainJob) -> dict[str, Any]:
    # Imported here: the bot process need not pay for them, the worker process does.
    import torch

    from recsys import FactorModel, TrainConfig, Trainer
    from recsys.baselines import ModelScorer
    from recsys.data import load_dataset
    from recsys.evaluate import score
    from recsys.holdout import HOLDOUT_SHARE, split_holdout

    torch.set_num_threads(1)  # leave the other core to the bot
    started = time.perf_counter()
    _progress(job, "reading data", 0.0)
    dataset = load_dataset(job.dataset, Path(job.data_dir))
    base = dataset.ratings
    snapshot = pd.read_parquet(job.snapshot)
    ratings = combined_ratings(
        base, snapshot["user_id"].to_numpy(), snapshot["item_id"].to_numpy(),
        snapshot["rating"].to_numpy(),
    )  # fmt: skip
    train, holdout = split_holdout(ratings)
    config = TrainConfig(**job.config)

    def on_epoch(head: str, metrics: dict[str, float]) -> None:
        total = config.epochs if head == "star" else config.rank_sweeps
        _progress(job, f"training the {head} head", min(1.0, metrics["epoch"] / total))

    if job.engine == "spark":
        model = _train_on_spark(job, train, config)
    else:
        model = Trainer(config, on_epoch=on_epoch).fit(train, dataset.catalog.genres_by_item())
    _progress(job, "comparing with the serving model", 1.0)
    new = score(ModelScorer(model, history=train), train, holdout)
    serving = FactorModel.load(job.serving_model)
    old = score(ModelScorer(serving, history=train), train, holdout)
    model.metadata["metrics"] = {"holdout": new}
    model.metadata["holdout_share"] = HOLDOUT_SHARE
    model.save(job.candidate)
    return {
        "new": new,
        "old": old,
        "ratings": len(ratings),
        "bot_ratings": len(snapshot),
        # A serving model trained on the held-out cells scores them too well to be compared.
        "comparable": serving.metadata.get("holdout_share") == HOLDOUT_SHARE,
        "seconds": time.perf_counter() - started,
    }


def _train_on_spark(job: TrainJob, train: pd.DataFrame, config: Any) -> Any:
    """The training share as Parquet beside the snapshot, trained by Spark on SPARK_MASTER
    (a remote cluster must see this folder: see README, "Training on a Spark cluster")."""
    from recsys.data.parquet import write_parquet_ratings
    from recsys.spark import SparkTrainConfig
    from recsys.spark.jobs import STAGES, train_parquet

    path = write_parquet_ratings(train, Path(job.snapshot).with_name("train.parquet"))
    done: list[str] = []

    def on_stage(stage: str, seconds: float) -> None:
        done.append(stage)
        _progress(job, f"training on Spark: {stage} done", len(done) / len(STAGES))

    spark_config = SparkTrainConfig.from_train_config(config)
    return train_parquet(path, spark_config, job.spark_master, on_stage)


def _progress(job: TrainJob, stage: str, fraction: float) -> None:
    tmp = f"{job.progress}.tmp"
    with open(tmp, "w") as fh:
        json.dump({"stage": stage, "fraction": round(fraction, 3)}, fh)
    os.replace(tmp, job.progress)
