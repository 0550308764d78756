"""The retraining job, run in a separate process so the bot's event loop never waits for it.

``train_candidate`` reads the base MovieLens ratings and a snapshot of the bot's ratings,
trains a new model on all of it but a fixed holdout, scores the new and the serving model on
that same holdout, and writes the candidate file. ``train_first`` makes the model of a first
start: on a big catalogue a quick one from a sample, so the bot answers within a minute while
``train_candidate`` trains the full one. Both report progress, with an ETA, through a small
JSON file that the bot reads. Everything they take and return is plain data (picklable); the
ratings are only ever read here, never in the bot's process.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from recsys import TrainConfig

SCALE_ABOVE = 2_000_000
"""Ratings above which training uses ``TrainConfig.for_scale()`` (as ``recsys train`` does):
the Adam star head's cost grows with the square of the ratings."""
QUICK_BYTES = 16 << 20
"""The quick first model is trained on the ratings in the first 16 MB of the ratings file
(about 1.2M: every rating of the first users), read without reading the rest."""
QUICK_ABOVE = 500_000
"""Ratings in those 16 MB above which the catalogue counts as big: its full model takes
minutes, so a quick one serves first."""
_stage_started: dict[str, float] = {}


@dataclass(frozen=True)
class TrainJob:
    data_dir: str
    dataset: str
    # Parquet of user_id (0, 1, 2…: no Telegram ids), item_id, rating; deleted once read
    snapshot: str
    serving_model: str
    candidate: str
    progress: str
    config: dict[str, Any]
    catalogue: str = ""  # the catalogue's name, recorded in the model's metadata
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

    from recsys import FactorModel, Trainer
    from recsys.baselines import ModelScorer, OnItems
    from recsys.data import load_dataset
    from recsys.evaluate import score
    from recsys.holdout import HOLDOUT_SHARE, split_holdout

    torch.set_num_threads(1)  # leave the other core to the bot
    started = time.perf_counter()
    _progress(job, "reading data", 0.0)
    dataset = load_dataset(job.dataset, Path(job.data_dir))
    base = dataset.ratings
    snapshot = pd.read_parquet(job.snapshot)
    os.remove(job.snapshot)  # people's ratings: on disk no longer than needed
    ratings = combined_ratings(
        base, snapshot["user_id"].to_numpy(), snapshot["item_id"].to_numpy(),
        snapshot["rating"].to_numpy(),
    )  # fmt: skip
    train, holdout = split_holdout(ratings)
    config = config_for(job, len(train))
    if job.engine == "spark":
        model = _train_on_spark(job, train, config)
    else:
        trainer = Trainer(config, on_epoch=_epoch_reporter(job, config))
        model = trainer.fit(train, dataset.catalog.genres_by_item())
    _progress(job, "comparing with the serving model", 1.0)
    new = score(ModelScorer(model, history=train), train, holdout)
    serving = FactorModel.load(job.serving_model)
    # A quick first model lacks films many users rated: one warning per user, by the thousand.
    # Quietened for this scoring only (a test may run the job in its own process).
    quiet = logging.getLogger("recsys.model")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        # Ranked over the candidate's films: a quick model that knows only the best-known
        # ones would otherwise rank an easier list and always be kept.
        old = score(OnItems(ModelScorer(serving, history=train), model.items), train, holdout)
    finally:
        quiet.setLevel(level)
    model = model.with_metadata(
        metrics={"holdout": new}, holdout_share=HOLDOUT_SHARE, catalogue=job.catalogue
    )
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


def train_first(job: TrainJob) -> dict[str, Any]:
    """The first model of a catalogue, written to ``job.candidate``, leaving out the fixed
    holdout so that later runs compare against it. On a big catalogue (``QUICK_ABOVE``) it is
    a quick model from the head of the ratings file (metadata ``quick``), to be replaced by a
    full run of ``train_candidate``: the whole file is not even read."""
    import torch

    from recsys import Trainer
    from recsys.data import load_catalog, load_dataset
    from recsys.data.load import load_ratings_head
    from recsys.holdout import HOLDOUT_SHARE, split_holdout

    torch.set_num_threads(1)
    started = time.perf_counter()
    _progress(job, "reading data", 0.0)
    data_dir = Path(job.data_dir)
    ratings = load_ratings_head(job.dataset, QUICK_BYTES, data_dir)
    quick = len(ratings) > QUICK_ABOVE
    if quick:
        catalog = load_catalog(job.dataset, data_dir)
    else:  # the head may be all of it, or nearly: read the whole set
        dataset = load_dataset(job.dataset, data_dir)
        ratings, catalog = dataset.ratings, dataset.catalog
    train, _ = split_holdout(ratings)
    config = config_for(job, len(ratings), quick=quick)
    trainer = Trainer(config, on_epoch=_epoch_reporter(job, config))
    model = trainer.fit(train, catalog.genres_by_item())
    model = model.with_metadata(holdout_share=HOLDOUT_SHARE, catalogue=job.catalogue, quick=quick)
    model.save(job.candidate)
    return {"quick": quick, "ratings": len(train), "seconds": time.perf_counter() - started}


def config_for(job: TrainJob, ratings: int, *, quick: bool = False) -> TrainConfig:
    """The job's configuration; above ``SCALE_ABOVE`` ratings the scale preset with the job's
    seed; ``quick``: a few sweeps of the scale preset, no neighbour head beyond the 500 most
    rated films, whatever the size."""
    from recsys import TrainConfig

    config = TrainConfig(**job.config)
    if ratings <= SCALE_ABOVE and not quick:
        return config
    scale = replace(TrainConfig.for_scale(), seed=config.seed)
    if not quick:
        return scale
    return replace(
        scale, factors=32, rank_factors=32, epochs=4, rank_sweeps=2, patience=1, refit=False,
        neighbour_max_items=500,
    )  # fmt: skip


def _epoch_reporter(job: TrainJob, config: TrainConfig) -> Any:
    def on_epoch(head: str, metrics: dict[str, float]) -> None:
        total = config.epochs if head == "star" else config.rank_sweeps
        _progress(job, f"training the {head} head", min(1.0, metrics["epoch"] / total))

    return on_epoch


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
    """Write the stage, its fraction done and the seconds it has left at this pace."""
    now = time.monotonic()
    began = _stage_started.setdefault(stage, now)
    eta = (now - began) * (1 - fraction) / fraction if fraction > 0 else None
    tmp = f"{job.progress}.tmp"
    with open(tmp, "w") as fh:
        json.dump({"stage": stage, "fraction": round(fraction, 3), "eta_s": eta}, fh)
    os.replace(tmp, job.progress)
