"""``python -m recsys train --engine spark``: read ratings into Spark, train, save the model."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace

from recsys.data import Dataset
from recsys.data.parquet import is_parquet
from recsys.spark.config import SparkTrainConfig
from recsys.spark.session import DEFAULT_DRIVER_MEMORY, DEFAULT_MASTER, spark_session

SHARED_FLAGS = ("factors", "rank_factors", "seed")
"""TrainConfig flags that mean the same for both engines; the others are torch-only."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Spark engine (--engine spark)")
    group.add_argument(
        "--spark-master",
        default=DEFAULT_MASTER,
        metavar="URL",
        help="local[*] (default), spark://host:7077, yarn, k8s://...",
    )
    group.add_argument(
        "--spark-driver-memory",
        default=DEFAULT_DRIVER_MEMORY,
        metavar="SIZE",
        help=f"memory of the driver JVM, which is also the executor in local mode "
        f"(default {DEFAULT_DRIVER_MEMORY})",
    )
    group.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any Spark setting, repeatable (spark.checkpoint.dir=s3a://..., credentials...)",
    )


def spark_config(args: argparse.Namespace, torch_flags: list[str]) -> SparkTrainConfig:
    """SparkTrainConfig with the shared flags applied; ValueError for a torch-only flag."""
    given = {name: getattr(args, name) for name in torch_flags if getattr(args, name) is not None}
    other = sorted(set(given) - set(SHARED_FLAGS))
    if other:
        names = ", ".join("--" + name.replace("_", "-") for name in other)
        raise ValueError(
            f"{names}: torch engine only; --engine spark takes --factors, --rank-factors and --seed"
        )
    return replace(SparkTrainConfig(), **given)


def parse_conf(pairs: list[str]) -> dict[str, str]:
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--spark-conf {pair!r}: expected KEY=VALUE")
        conf[key.strip()] = value
    return conf


def train_command(
    args: argparse.Namespace, load: Callable[[argparse.Namespace], Dataset], torch_flags: list[str]
) -> int:
    from recsys.spark.engine import train_spark
    from recsys.spark.ratings import from_frame, read_parquet

    config = spark_config(args, torch_flags)
    conf = parse_conf(args.spark_conf)
    with spark_session(args.spark_master, args.spark_driver_memory, conf) as spark:
        if is_parquet(args.data):
            ratings = read_parquet(spark, args.data)
        else:
            ratings = from_frame(spark, load(args).ratings)

        def on_stage(stage: str, seconds: float) -> None:
            print(f"  {stage}: {seconds:.1f} s", file=sys.stderr, flush=True)

        started = time.perf_counter()
        model = train_spark(ratings, config, on_stage)
        seconds = time.perf_counter() - started
    model.save(args.out)
    spark_meta = model.metadata["spark"]
    print(
        f"saved {args.out}: {model.n_users:,} users, {model.n_items:,} films; trained by Spark "
        f"{spark_meta['version']} on {spark_meta['master']}: {config.star_iterations} star, "
        f"{config.rank_iterations} rank ALS iterations, {seconds:.1f} s"
    )
    return 0
