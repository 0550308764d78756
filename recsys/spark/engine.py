"""The served model trained by Spark MLlib's ALS: the same FactorModel file as the torch engine.

Star head: global mean, damped item biases and weighted user biases (a few alternations of
grouped sums), then Spark's explicit ALS on the residuals; its ``regParam`` is scaled by each
row's rating count (weighted-λ), as the torch ALS and the fold-in solve are. Rank head:
Spark's implicit ALS on which films each user rated, which is the project's weighted MF with
unrated weight w0 = 1 / (1 + α) (see ``rank_fold_in``). No neighbour head: Spark has no
item-KNN, and computing one on the driver would bring the data back to one machine.

Everything up to the factors runs on the cluster; the driver collects factor tables only
(users + films rows), so the model file is written where the command runs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import torch

from recsys.metrics import RELEVANT_STARS
from recsys.model import FactorModel, FoldInSettings
from recsys.spark.config import SparkTrainConfig
from recsys.vocab import Vocabulary

if TYPE_CHECKING:
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

ENGINE = "spark"
StageCallback = Callable[[str, float], None]
"""Called after each stage with its name and seconds (progress for the bot, timings)."""


def train_spark(
    ratings: DataFrame, config: SparkTrainConfig, on_stage: StageCallback | None = None
) -> FactorModel:
    """Fit both heads on ``ratings`` (``user_id``, ``item_id``, ``rating``) and build the
    model on the driver."""
    from pyspark.sql import functions as F

    report = on_stage or (lambda stage, seconds: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 3)
        report(name, now - since)
        return now

    spark = ratings.sparkSession
    ratings = ratings.persist()
    summary = ratings.agg(
        F.avg("rating").alias("mean"),
        F.count("*").alias("n"),
        F.min("rating").alias("low"),
        F.max("rating").alias("high"),
        F.bit_xor(F.xxhash64("user_id", "item_id", "rating")).alias("fingerprint"),
        F.avg(F.abs(F.col("rating") - config.rank_offset)).alias("mean_distance"),
    ).first()
    assert summary is not None
    if summary["n"] == 0:
        raise ValueError("cannot train on an empty set of ratings")
    mean = float(summary["mean"])
    blocks = config.blocks or max(spark.sparkContext.defaultParallelism, 1)
    now = stage("summary", started)

    item_bias, user_bias = _biases(ratings, mean, config)
    now = stage("biases", now)

    residuals = (
        ratings.join(item_bias, "item_id")
        .join(user_bias.select("user_id", "user_bias"), "user_id")
        .select(
            "user_id",
            "item_id",
            (F.col("rating") - mean - F.col("item_bias") - F.col("user_bias")).alias("residual"),
        )
    )
    star = _als(config, blocks, implicit=False).fit(residuals)
    now = stage("star_als", now)

    preference = (
        F.lit(1.0) if config.rank_input == "binary" else F.col("rating") - config.rank_offset
    )
    rank = _als(config, blocks, implicit=True).fit(
        ratings.select("user_id", "item_id", preference.alias("preference"))
    )
    now = stage("rank_als", now)

    users = _table(user_bias.select("user_id", "user_bias", "n"))
    items = _table(item_bias)
    liked = _table(
        ratings.where(F.col("rating") >= RELEVANT_STARS).groupBy("item_id").agg(F.count("*"))
    )
    user_vocab = Vocabulary(users.column("user_id").to_numpy())
    item_vocab = Vocabulary(items.column("item_id").to_numpy())
    item_bias_t = _aligned(item_vocab, items, "item_id", "item_bias")
    item_factors = _factors(item_vocab, star.itemFactors, config.factors)
    user_bias_t = _aligned(user_vocab, users, "user_id", "user_bias")
    user_factors = _factors(user_vocab, star.userFactors, config.factors)
    rank_items = _factors(item_vocab, rank.itemFactors, config.rank_factors)
    rank_users = _factors(user_vocab, rank.userFactors, config.rank_factors)
    popularity = _aligned(item_vocab, liked, "item_id", liked.column_names[1])
    for cached in (ratings, item_bias, user_bias):
        cached.unpersist()
    stage("collect", now)
    return FactorModel(
        items=item_vocab,
        users=user_vocab,
        global_mean=mean,
        item_bias=item_bias_t,
        item_factors=item_factors,
        implicit_factors=torch.zeros(len(item_vocab), config.factors),
        user_bias=user_bias_t,
        user_factors=user_factors,
        rank_item_factors=rank_items,
        rank_user_factors=rank_users,
        item_popularity=popularity,
        fold_in_settings=_fold_in(config, users.column("n").to_numpy(), summary["mean_distance"]),
        rating_scale=(float(summary["low"]), float(summary["high"])),
        metadata=_metadata(config, spark, summary, blocks, timings, time.perf_counter() - started),
    )


def _biases(
    ratings: DataFrame, mean: float, config: SparkTrainConfig
) -> tuple[DataFrame, DataFrame]:
    """Item biases damped towards 0 by ``item_bias_damping`` ratings; user biases with a
    per-rating L2 (fold-in's penalty). Alternated ``bias_rounds`` times, each table cached
    and materialised so that later rounds do not recompute earlier ones."""
    from pyspark.sql import functions as F

    user_bias: DataFrame | None = None
    item_bias: DataFrame | None = None
    for _ in range(max(config.bias_rounds, 1)):
        base = ratings
        offset = F.lit(0.0)
        if user_bias is not None:
            base = ratings.join(user_bias.select("user_id", "user_bias"), "user_id")
            offset = F.col("user_bias")
        fresh_items = (
            base.groupBy("item_id")
            .agg(
                (
                    F.sum(F.col("rating") - mean - offset)
                    / (F.count("*") + config.item_bias_damping)
                ).alias("item_bias")
            )
            .cache()
        )
        fresh_items.count()
        fresh_users = (
            ratings.join(fresh_items, "item_id")
            .groupBy("user_id")
            .agg(
                (
                    F.sum(F.col("rating") - mean - F.col("item_bias"))
                    / (F.count("*") * (1.0 + config.reg_bias))
                ).alias("user_bias"),
                F.count("*").alias("n"),
            )
            .cache()
        )
        fresh_users.count()
        for old in (item_bias, user_bias):
            if old is not None:
                old.unpersist()
        item_bias, user_bias = fresh_items, fresh_users
    assert item_bias is not None and user_bias is not None
    return item_bias, user_bias


def _als(config: SparkTrainConfig, blocks: int, implicit: bool) -> ALS:
    from pyspark.ml.recommendation import ALS

    als = ALS(
        userCol="user_id",
        itemCol="item_id",
        seed=config.seed,
        numUserBlocks=blocks,
        numItemBlocks=blocks,
        checkpointInterval=config.checkpoint_interval,
    )
    if implicit:
        return als.setImplicitPrefs(True).setParams(
            rank=config.rank_factors,
            maxIter=config.rank_iterations,
            regParam=config.rank_reg,
            alpha=config.rank_alpha,
            ratingCol="preference",
        )
    return als.setParams(
        rank=config.factors,
        maxIter=config.star_iterations,
        regParam=config.reg_factors,
        ratingCol="residual",
    )


def _fold_in(
    config: SparkTrainConfig, user_counts: np.ndarray, mean_distance: float
) -> FoldInSettings:
    """Fold-in settings under which a new user is solved like a trained one.

    Rank head: Spark's implicit objective for one user, Σ_all (p − x·y)² + Σ_rated α·|r|·(p − x·y)²
    + λ·n·|x|², times w0 = 1 / (1 + α·|r|), is the project's weighted MF with unrated weight
    w0, rated weight 1 and L2 w0·λ·n: exactly so for binary input, with |r| its mean over
    the ratings for stars. Fold-in's L2 is one number, so n is the median user's rating
    count. Fold-in's targets are the user's stars where Spark's are 1 or 0: the solve is
    linear in them, so low stars count less, as a preference of 0 does in Spark.
    """
    typical = 1.0 if config.rank_input == "binary" else mean_distance
    w0 = 1.0 / (1.0 + config.rank_alpha * typical)
    median = float(np.median(user_counts)) if len(user_counts) else 1.0
    return FoldInSettings(
        star_reg_factors=config.reg_factors,
        star_reg_bias=config.reg_bias,
        star_weighted_reg=True,
        rank_reg=w0 * config.rank_reg * median,
        rank_unobserved_weight=w0,
    )


def _table(frame: DataFrame) -> pa.Table:
    """A small result (one row per user or film) on the driver, as Arrow."""
    return frame.toArrow()


def _aligned(vocab: Vocabulary, table: pa.Table, key: str, value: str) -> torch.Tensor:
    out = np.zeros(len(vocab), np.float32)
    rows = vocab.rows(table.column(key).to_numpy())
    out[rows[rows >= 0]] = table.column(value).to_numpy()[rows >= 0]
    return torch.from_numpy(out)


def _factors(vocab: Vocabulary, frame: DataFrame, k: int) -> torch.Tensor:
    table = _table(frame)
    out = np.zeros((len(vocab), k), np.float32)
    if table.num_rows == 0:
        return torch.from_numpy(out)
    # Every row of Spark's factor table holds exactly k floats: one flat buffer, reshaped.
    flat = table.column("features").combine_chunks().flatten().to_numpy()
    rows = vocab.rows(table.column("id").to_numpy())
    known = rows >= 0
    out[rows[known]] = flat.reshape(-1, k)[known]
    return torch.from_numpy(out)


def _metadata(
    config: SparkTrainConfig,
    spark: Any,
    summary: Any,
    blocks: int,
    timings: dict[str, float],
    seconds: float,
) -> dict[str, Any]:
    return {
        "engine": ENGINE,
        "spark": {
            "version": spark.version,
            "master": spark.sparkContext.master,
            "default_parallelism": spark.sparkContext.defaultParallelism,
            "blocks": blocks,
        },
        "config": config.to_dict(),
        "data_fingerprint": f"spark-{int(summary['fingerprint']) & (2**64 - 1):016x}",
        "n_ratings": int(summary["n"]),
        "history": {},
        "epochs": {"star": config.star_iterations, "rank": config.rank_iterations},
        "timings": timings,
        "fit_seconds": round(seconds, 3),
        "trained_at": int(time.time()),
        "metrics": {},
    }
