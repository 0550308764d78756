"""The binary ratings cache: used when fresh, rebuilt when stale or damaged."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from recsys.data import cache
from recsys.data.readers import csv as csv_reader

Write = Callable[..., Path]
RATINGS = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,3,4.5,964981247\n"


class CountingReader:
    """``read_ratings`` that counts how often the CSV itself is parsed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.calls = 0

    def __call__(self) -> pd.DataFrame:
        self.calls += 1
        return csv_reader.read_ratings(self.path)


def load(reader: CountingReader, cache_dir: Path | None = None) -> pd.DataFrame:
    return cache.cached_ratings(reader.path, reader, cache_dir=cache_dir, min_bytes=0)


@pytest.fixture
def reader(write: Write) -> CountingReader:
    return CountingReader(write("ml/ratings.csv", RATINGS))


def test_second_read_comes_from_the_cache_beside_the_file(reader: CountingReader) -> None:
    first = load(reader)
    second = load(reader)
    assert reader.calls == 1
    pd.testing.assert_frame_equal(first, second)
    assert (reader.path.parent / ".cache" / "ratings.csv.npz").is_file()


def test_a_changed_file_is_read_again(reader: CountingReader) -> None:
    load(reader)
    reader.path.write_text(RATINGS + "3,6,0.5,964982224\n")
    assert len(load(reader)) == 3
    assert reader.calls == 2
    assert len(load(reader)) == 3
    assert reader.calls == 2


def test_a_touched_file_of_the_same_size_is_read_again(reader: CountingReader) -> None:
    load(reader)
    reader.path.write_text(RATINGS.replace("4.5", "3.5"))
    stat = reader.path.stat()
    os.utime(reader.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load(reader)["rating"].tolist() == [4.0, 3.5]
    assert reader.calls == 2


@pytest.mark.parametrize("damage", [b"", b"not a zip at all", None])
def test_a_corrupt_cache_is_ignored_and_rebuilt(
    reader: CountingReader, damage: bytes | None, caplog: pytest.LogCaptureFixture
) -> None:
    expected = load(reader)
    cached = reader.path.parent / ".cache" / "ratings.csv.npz"
    # None: cut the real file in half, as a crash mid-write without the rename would.
    data = cached.read_bytes()
    cached.write_bytes(data[: len(data) // 2] if damage is None else damage)
    pd.testing.assert_frame_equal(load(reader), expected)
    assert reader.calls == 2
    assert "ignoring unreadable ratings cache" in caplog.text
    pd.testing.assert_frame_equal(load(reader), expected)
    assert reader.calls == 2  # rebuilt, so fresh again


def test_a_given_cache_dir_is_used(reader: CountingReader, tmp_path: Path) -> None:
    load(reader, cache_dir=tmp_path / "elsewhere")
    load(reader, cache_dir=tmp_path / "elsewhere")
    assert reader.calls == 1
    assert not (reader.path.parent / ".cache").exists()
    assert [p.suffix for p in (tmp_path / "elsewhere").iterdir()] == [".npz"]


def test_a_read_only_data_folder_falls_back_to_the_user_cache(
    reader: CountingReader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOVIEBOT_CACHE_DIR", str(tmp_path / "user-cache"))
    (reader.path.parent / ".cache").write_text("a file where the folder should be")
    load(reader)
    load(reader)
    assert reader.calls == 1
    assert len(list((tmp_path / "user-cache").glob("ratings.csv-*.npz"))) == 1


def test_small_files_are_not_cached(reader: CountingReader) -> None:
    cache.cached_ratings(reader.path, reader)
    assert not (reader.path.parent / ".cache").exists()


def test_no_temporary_files_are_left(reader: CountingReader) -> None:
    load(reader)
    assert [p.name for p in (reader.path.parent / ".cache").iterdir()] == ["ratings.csv.npz"]
