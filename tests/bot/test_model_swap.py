"""The serving model's files: install keeps one previous model, rollback goes back once, and a
full disk during a swap changes nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import model_files


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
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (needs root, as CI and the full-disk e2e test have)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_a_full_disk_during_install_changes_nothing(small_disk: Path, tmp_path: Path) -> None:
    target = small_disk / "model"
    target.write_bytes(b"s" * 300_000)
    (small_disk / "model.previous").write_bytes(b"p" * 300_000)
    candidate = tmp_path / "candidate"
    candidate.write_bytes(b"c" * 600_000)  # more than the disk has left
    with pytest.raises(OSError):
        model_files.install(candidate, target)
    assert target.read_bytes() == b"s" * 300_000, "the serving model must stay whole"
    assert (small_disk / "model.previous").read_bytes() == b"p" * 300_000, "rollback target lost"
    assert names(small_disk) == ["model", "model.previous"], "a truncated file was left behind"
