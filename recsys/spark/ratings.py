"""Ratings into Spark: Parquet read by Spark itself (local, HDFS, object storage), or any
release ``recsys`` reads, shipped from the driver as Arrow."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from recsys.data import DataFormatError, load_dataset
from recsys.data.parquet import canonical_names, is_parquet

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_INT_MAX = 2**31 - 1  # Spark's ALS takes ids in the Integer range only


def load_ratings(spark: SparkSession, source: str | Path, data_dir: Path | None) -> DataFrame:
    """``user_id, item_id, rating`` from a Parquet file, folder or URL, or from a MovieLens
    release by name or path (read here, then shipped to Spark)."""
    if is_parquet(source):
        return read_parquet(spark, source)
    return from_frame(spark, load_dataset(source, data_dir).ratings)


def read_parquet(spark: SparkSession, source: str | Path) -> DataFrame:
    """Parquet with ml-25m's or the project's column names, checked and typed."""
    frame = spark.read.parquet(str(source))
    frame = frame.withColumnsRenamed(canonical_names(frame.columns, source))
    return _typed(frame.select("user_id", "item_id", "rating"), source)


def from_frame(spark: SparkSession, ratings: pd.DataFrame) -> DataFrame:
    """A pandas ratings table as a Spark DataFrame, through Arrow (no row-by-row pickling)."""
    table = pa.Table.from_pandas(ratings[["user_id", "item_id", "rating"]], preserve_index=False)
    return _typed(spark.createDataFrame(table), "ratings")


def _typed(frame: DataFrame, source: str | Path) -> DataFrame:
    from pyspark.sql import functions as F

    bounds = frame.agg(
        F.min("user_id"), F.max("user_id"), F.min("item_id"), F.max("item_id"), F.count("*")
    ).first()
    assert bounds is not None
    if bounds[4] == 0:
        raise ValueError(f"{source}: no ratings to train on")
    if min(bounds[0], bounds[2]) < 0 or max(bounds[1], bounds[3]) > _INT_MAX:
        raise DataFormatError(Path(str(source)), "user and item ids must lie in 0..2^31-1")
    return frame.select(
        F.col("user_id").cast("int"),
        F.col("item_id").cast("int"),
        F.col("rating").cast("float"),
    ).where(F.col("rating").isNotNull())
