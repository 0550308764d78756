"""Ratings as Parquet: both column namings, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys.data import DataFormatError
from recsys.data.parquet import is_parquet, read_parquet_ratings, write_parquet_ratings


def test_ml25m_names_and_project_names_read_the_same(tmp_path: Path) -> None:
    ours = pd.DataFrame({"user_id": [1, 2], "item_id": [10, 20], "rating": [4.5, 2.0]})
    write_parquet_ratings(ours, tmp_path / "ours.parquet")
    ours.rename(columns={"user_id": "userId", "item_id": "movieId"}).to_parquet(
        tmp_path / "ml25m.parquet"
    )
    a = read_parquet_ratings(tmp_path / "ours.parquet")
    b = read_parquet_ratings(tmp_path / "ml25m.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == ["user_id", "item_id", "rating", "timestamp"]
    assert a["rating"].tolist() == [4.5, 2.0]


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    pd.DataFrame({"userId": [1], "rating": [3.0]}).to_parquet(tmp_path / "r.parquet")
    with pytest.raises(DataFormatError, match="missing item_id"):
        read_parquet_ratings(tmp_path / "r.parquet")


def test_ids_outside_the_integer_range_are_refused_not_wrapped(tmp_path: Path) -> None:
    frame = pd.DataFrame({"user_id": [2**40], "item_id": [1], "rating": [3.0]})
    frame.to_parquet(tmp_path / "r.parquet")
    with pytest.raises(DataFormatError, match="user_id outside"):
        read_parquet_ratings(tmp_path / "r.parquet")


def test_what_counts_as_parquet(tmp_path: Path) -> None:
    folder = tmp_path / "part-files"
    folder.mkdir()
    assert not is_parquet(folder)
    write_parquet_ratings(
        pd.DataFrame({"user_id": [1], "item_id": [2], "rating": np.float32([3])}),
        folder / "part-0.parquet",
    )
    assert is_parquet(folder)
    assert is_parquet("s3a://bucket/ratings/")
    assert not is_parquet(tmp_path / "ml-100k")
    assert not list(folder.glob(".*.tmp"))  # the atomic write left nothing behind
