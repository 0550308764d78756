"""The serving model's files: install keeps one previous model, rollback goes back once, and a
full disk during a swap changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import model_files
from tests.disks import small_disk


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_install_keeps_the_previous_model_and_rollback_goes_back_once(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.write_text("first")
    for version in ("second", "third"):
        candidate = tmp_path / f"{version}.candidate"
        candidate.write_text(version)
        model_files.install(candidate, target)
        candidate.unlink()
    assert target.read_text() == "third" and model_files.previous_of(target).read_text() == "second"

    assert model_files.roll_back(target)
    assert target.read_text() == "second"
    assert model_files.rolled_back_of(target).read_text() == "third"
    assert not model_files.roll_back(target), "a second rollback must not swap back"
    assert target.read_text() == "second"
    assert names(tmp_path) == ["model", "model.rolled-back"]


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs."""
    with small_disk(tmp_path / "disk", "1m") as where:
        yield where


def test_a_full_disk_during_install_changes_nothing(disk: Path, tmp_path: Path) -> None:
    target = disk / "model"
    target.write_bytes(b"s" * 300_000)
    (disk / "model.previous").write_bytes(b"p" * 300_000)
    candidate = tmp_path / "candidate"
    candidate.write_bytes(b"c" * 600_000)  # more than the disk has left
    with pytest.raises(OSError):
        model_files.install(candidate, target)
    assert target.read_bytes() == b"s" * 300_000, "the serving model must stay whole"
    assert (disk / "model.previous").read_bytes() == b"p" * 300_000, "rollback target lost"
    assert names(disk) == ["model", "model.previous"], "a truncated file was left behind"
