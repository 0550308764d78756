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
    snapshot: str  # .npz with user_id, item_id, stars of the bot's users
    serving_model: str
    candidate: str
    progress: str
    config: dict[str, Any]


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
    snapshot = np.load(job.snapshot)
    ratings = combined_ratings(base, snapshot["user_id"], snapshot["item_id"], snapshot["stars"])
    train, holdout = split_holdout(ratings)
    config = TrainConfig(**job.config)

    def on_epoch(head: str, metrics: dict[str, float]) -> None:
        total = config.epochs if head == "star" else config.rank_sweeps
        _progress(job, f"training the {head} head", min(1.0, metrics["epoch"] / total))

    model = Trainer(config, on_epoch=on_epoch).fit(train, dataset.catalog.genres_by_item())
    _progress(job, "comparing with the serving model", 1.0)
    new = score(ModelScorer(model, history=train), train, holdout)
    serving = FactorModel.load(job.serving_model)
    old = score(ModelScorer(serving, history=train), train, holdout)
    model = model.with_metadata(metrics={"holdout": new}, holdout_share=HOLDOUT_SHARE)
    model.save(job.candidate)
    return {
        "new": new,
        "old": old,
        "ratings": len(ratings),
        "bot_ratings": len(snapshot["item_id"]),
        # A serving model trained on the held-out cells scores them too well to be compared.
        "comparable": serving.metadata.get("holdout_share") == HOLDOUT_SHARE,
        "seconds": time.perf_counter() - started,
    }


def _progress(job: TrainJob, stage: str, fraction: float) -> None:
    tmp = f"{job.progress}.tmp"
    with open(tmp, "w") as fh:
        json.dump({"stage": stage, "fraction": round(fraction, 3)}, fh)
    os.replace(tmp, job.progress)
