"""Fetching ML-100k: sources in order, checksums, idempotence, nothing half-written.

All but the last test replace the downloads with local files; the last one really fetches.
"""

from __future__ import annotations

import hashlib
import importlib
import shutil
import urllib.error
import zipfile
from pathlib import Path

import pytest

from recsys.data import ChecksumError, FetchError, fetch, load_dataset

# The package re-exports the function fetch under the module's own name, so the attribute
# recsys.data.fetch is the function; the module itself is only reachable through the import system.
fetch_module = importlib.import_module("recsys.data.fetch")

INTER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n196\t1\t3\t881250949\n"
ITEMS = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "1\tToy Story\t1995\tComedy\n"
)
U_ITEM = "1|Toy Story (1995)|01-Jan-1995||url" + "|0" * 19 + "\n"


def make_wheel(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("recbole/__init__.py", "")
        wheel.writestr(fetch_module.RECBOLE_MEMBERS[0], INTER)
        wheel.writestr(fetch_module.RECBOLE_MEMBERS[1], ITEMS)
        wheel.writestr("recbole/dataset_example/ml-1m/ml-1m.inter", "not wanted")
    return path


def make_grouplens_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("ml-100k/", "")
        archive.writestr("ml-100k/u.data", "196\t1\t3\t881250949\n")
        archive.writestr("ml-100k/u.item", U_ITEM)
        archive.writestr("ml-100k/README", "MovieLens 100k")
    return path


def digest(path: Path, algorithm: str) -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def unreachable(work: Path) -> Path:
    raise urllib.error.URLError("Name or service not known")


def must_not_download(work: Path) -> Path:
    raise AssertionError("downloaded although the data is present")


@pytest.fixture
def offline_pypi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """GroupLens unreachable and pip handing out a fake wheel whose hash is "published";
    returns the log lines."""
    wheel = make_wheel(tmp_path / "recbole-1.2.1-py3-none-any.whl")
    monkeypatch.setattr(fetch_module, "RECBOLE_SHA256", digest(wheel, "sha256"))
    monkeypatch.setattr(fetch_module, "download_grouplens", unreachable)
    monkeypatch.setattr(
        fetch_module, "download_recbole", lambda work: Path(shutil.copy(wheel, work))
    )
    return []


def test_falls_back_to_pypi_and_extracts_only_the_two_files(
    tmp_path: Path, offline_pypi: list[str]
) -> None:
    result = fetch("ml-100k", tmp_path / "data", log=offline_pypi.append)
    assert result == fetch_module.FetchResult(tmp_path / "data" / "ml-100k", "pypi:recbole==1.2.1")
    assert sorted(p.name for p in result.path.iterdir()) == ["ml-100k.inter", "ml-100k.item"]
    assert "GroupLens unreachable" in offline_pypi[0]
    assert "fetched from pypi:recbole==1.2.1" in offline_pypi[-1]
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["ml-100k"]  # no leftovers
    assert load_dataset("ml-100k", tmp_path / "data").catalog.label(1) == "Toy Story (1995)"


def test_a_second_fetch_is_already_present_and_downloads_nothing(
    tmp_path: Path, offline_pypi: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch("ml-100k", tmp_path, log=offline_pypi.append)
    monkeypatch.setattr(fetch_module, "download_grouplens", must_not_download)
    monkeypatch.setattr(fetch_module, "download_recbole", must_not_download)
    result = fetch("ml-100k", tmp_path, log=offline_pypi.append)
    assert result.source == "already present"
    assert "already present" in offline_pypi[-1]


def test_the_original_layout_counts_as_present(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("196\t1\t3\t881250949\n")
    (tmp_path / "ml-100k" / "u.item").write_text(U_ITEM)
    monkeypatch.setattr(fetch_module, "download_grouplens", must_not_download)
    assert fetch(data_dir=tmp_path, log=lambda _: None).source == "already present"


def test_grouplens_is_preferred_when_reachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = make_grouplens_zip(tmp_path / "ml-100k.zip")
    monkeypatch.setattr(fetch_module, "GROUPLENS_MD5", digest(archive, "md5"))
    monkeypatch.setattr(
        fetch_module, "download_grouplens", lambda work: Path(shutil.copy(archive, work))
    )
    monkeypatch.setattr(fetch_module, "download_recbole", must_not_download)
    result = fetch(data_dir=tmp_path / "data", log=lambda _: None)
    assert result.source == "grouplens"
    assert sorted(p.name for p in result.path.iterdir()) == ["README", "u.data", "u.item"]


def test_a_wheel_with_the_wrong_checksum_is_rejected(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "recbole-1.2.1-py3-none-any.whl")
    with pytest.raises(ChecksumError, match=r"sha256 is .*, expected 9c99482020"):
        fetch_module.install_recbole_wheel(wheel, tmp_path / "ml-100k")
    assert not (tmp_path / "ml-100k").exists()


def test_a_zip_with_the_wrong_checksum_is_rejected(tmp_path: Path) -> None:
    archive = make_grouplens_zip(tmp_path / "ml-100k.zip")
    with pytest.raises(ChecksumError, match=r"md5 is .*, expected 0e33842e"):
        fetch_module.install_grouplens_zip(archive, tmp_path / "ml-100k")
    assert not (tmp_path / "ml-100k").exists()


def test_a_checksum_mismatch_during_fetch_leaves_nothing_behind(
    tmp_path: Path, offline_pypi: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "RECBOLE_SHA256", "0" * 64)
    with pytest.raises(ChecksumError):
        fetch(data_dir=tmp_path / "data", log=offline_pypi.append)
    assert list((tmp_path / "data").iterdir()) == []


def test_a_wheel_without_the_data_is_an_error(tmp_path: Path) -> None:
    wheel = tmp_path / "recbole-1.2.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("recbole/__init__.py", "")
    with pytest.raises(FetchError, match=r"lacks ml-100k.inter, ml-100k.item"):
        fetch_module.install_recbole_wheel(wheel, tmp_path / "out", digest(wheel, "sha256"))
    assert not (tmp_path / "out").exists()


def test_no_source_at_all_says_what_each_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pip_fails(work: Path) -> Path:
        raise FetchError("pip download failed (1): no matching distribution")

    monkeypatch.setattr(fetch_module, "download_grouplens", unreachable)
    monkeypatch.setattr(fetch_module, "download_recbole", pip_fails)
    with pytest.raises(FetchError, match=r"Name or service not known.*no matching distribution"):
        fetch(data_dir=tmp_path, log=lambda _: None)
    assert list(tmp_path.iterdir()) == []


def test_an_incomplete_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("mine")
    with pytest.raises(FetchError, match=r"not a complete ml-100k"):
        fetch(data_dir=tmp_path, log=lambda _: None)
    assert (tmp_path / "ml-100k" / "u.data").read_text() == "mine"


def test_only_ml_100k_can_be_fetched(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"only ml-100k"):
        fetch("ml-25m", tmp_path)


@pytest.mark.network
def test_really_fetches_ml_100k(tmp_path: Path) -> None:
    result = fetch(data_dir=tmp_path, log=lambda _: None)
    assert result.source in {"grouplens", "pypi:recbole==1.2.1"}
    assert len(load_dataset("ml-100k", tmp_path).ratings) == 100_000
    assert fetch(data_dir=tmp_path, log=lambda _: None).source == "already present"
