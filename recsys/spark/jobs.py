"""Training from a Parquet file in a session of its own: what the bot's retraining worker
runs when TRAIN_ENGINE=spark."""

from __future__ import annotations

from pathlib import Path

from recsys.model import FactorModel
from recsys.spark.config import SparkTrainConfig
from recsys.spark.engine import StageCallback, train_spark
from recsys.spark.ratings import read_parquet
from recsys.spark.session import DEFAULT_DRIVER_MEMORY, spark_session

STAGES = ("summary", "biases", "star_als", "rank_als", "collect")
"""The engine's stages in order, for progress as a fraction."""


def train_parquet(
    path: str | Path,
    config: SparkTrainConfig,
    master: str,
    on_stage: StageCallback | None = None,
    driver_memory: str = DEFAULT_DRIVER_MEMORY,
) -> FactorModel:
    """Train on the ratings at ``path`` (a local path, or a URL the cluster can read)."""
    with spark_session(master, driver_memory) as spark:
        return train_spark(read_parquet(spark, path), config, on_stage)
