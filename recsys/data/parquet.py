"""Ratings as Parquet: the form that reaches Spark (the bot's snapshot, object storage).

Two column namings are read: ml-25m's ratings.csv (``userId, movieId, rating, timestamp``)
and the project's own (``user_id, item_id, rating, timestamp``); ``timestamp`` is optional.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from recsys.data.errors import DataFormatError
from recsys.data.types import ratings_frame

ML25M_NAMES = {"userId": "user_id", "movieId": "item_id", "rating": "rating"}
"""ml-25m's column names and the project's for the same columns."""
REQUIRED = ("user_id", "item_id", "rating")


def is_parquet(source: str | Path) -> bool:
    """A ``.parquet`` file, a folder of them (as Spark writes), or a URL (``s3a://``...),
    which only Spark can open and which the engine reads as Parquet."""
    text = str(source)
    if "://" in text or text.endswith(".parquet"):
        return True
    path = Path(text)
    return path.is_dir() and any(path.glob("*.parquet"))


def canonical_names(columns: list[str], source: str | Path) -> dict[str, str]:
    """Column renames to the project's names; DataFormatError when a required one is absent."""
    renames = {name: ML25M_NAMES[name] for name in columns if name in ML25M_NAMES}
    present = {renames.get(name, name) for name in columns}
    absent = [name for name in REQUIRED if name not in present]
    if absent:
        raise DataFormatError(
            Path(str(source)),
            "Parquet ratings need the columns userId, movieId, rating (ml-25m) or "
            f"user_id, item_id, rating; missing {', '.join(absent)}",
        )
    return renames


def read_parquet_ratings(source: str | Path) -> pd.DataFrame:
    """A local Parquet file or folder as the ratings table of ``Dataset.ratings``."""
    frame = pd.read_parquet(source)
    frame = frame.rename(columns=canonical_names(list(frame.columns), source))
    for column in ("user_id", "item_id"):
        values = frame[column].to_numpy()
        if len(values) and (values.min() < 0 or values.max() > np.iinfo(np.int32).max):
            raise DataFormatError(Path(str(source)), f"{column} outside 0..2^31-1")
    timestamp = (
        frame["timestamp"].to_numpy() if "timestamp" in frame else np.zeros(len(frame), np.int64)
    )
    return ratings_frame(
        frame["user_id"].to_numpy(), frame["item_id"].to_numpy(), frame["rating"].to_numpy(),
        timestamp,
    )  # fmt: skip


def write_parquet_ratings(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``user_id, item_id, rating[, timestamp]`` as one Parquet file, atomically (a
    crash leaves no half file that Spark would read)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [c for c in (*REQUIRED, "timestamp") if c in frame.columns]
    temporary = path.with_name(f".{path.name}.tmp")
    frame[columns].to_parquet(temporary, index=False)
    temporary.replace(path)
    return path
