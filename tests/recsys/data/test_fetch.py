"""Fetching releases over real HTTP from a server on 127.0.0.1: checksums, resuming, offline
hints, the PyPI fallback of ml-100k, and never half a dataset.

The zips are built here from a few lines; no MovieLens data is bundled. The last test really
fetches ml-100k (network-marked).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import io
import shutil
import socket
import zipfile
from pathlib import Path

import pytest
from zipserver import serving

from recsys.cli import main as cli_main
from recsys.data import RELEASES, ChecksumError, FetchError, fetch, load_catalog, load_dataset

# The package re-exports the function fetch under the module's own name, so the attribute
# recsys.data.fetch is the function; the module itself is only reachable through the import system.
fetch_module = importlib.import_module("recsys.data.fetch")

INTER = "user_id:token\titem_id:token\trating:float\ttimestamp:float\n196\t1\t3\t881250949\n"
ITEMS = (
    "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
    "1\tToy Story\t1995\tComedy\n"
)
U_ITEM = "1|Toy Story (1995)|01-Jan-1995||url" + "|0" * 19 + "\n"
CSV_FILES = {
    "ratings.csv": "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n2,2,3.5,964982224\n",
    "movies.csv": 'movieId,title,genres\n1,"Matrix, The (1999)",Action|Sci-Fi\n'
    "2,Amélie (Fabuleux destin d'Amélie Poulain; Le) (2001),Comedy|Romance\n",
    "links.csv": "movieId,imdbId,tmdbId\n1,0133093,603\n2,0211915,194\n",
    "genome-scores.csv": "movieId,tagId,relevance\n1,1,0.5\n",
}


def release_zip(folder: str, files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{folder}/", "")
        for name, text in files.items():
            archive.writestr(f"{folder}/{name}", text)
    return buffer.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/datasets/movielens"


@pytest.fixture
def ml25m(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """An ml-25m-format zip whose md5 is the one "published" in the code."""
    data = release_zip("ml-25m", CSV_FILES)
    release = dataclasses.replace(RELEASES["ml-25m"], md5=md5(data))
    monkeypatch.setitem(RELEASES, "ml-25m", release)
    return data


def quiet(_: str) -> None:
    return None


def test_fetches_a_release_checks_its_md5_and_unpacks_it_whole(
    tmp_path: Path, ml25m: bytes
) -> None:
    with serving({"ml-25m.zip": ml25m}) as server:
        result = fetch("ml-25m", tmp_path, log=quiet, base_url=server.base_url)
    assert result == fetch_module.FetchResult(tmp_path / "ml-25m", "grouplens")
    assert sorted(p.name for p in result.path.iterdir()) == sorted(
        ["ratings.csv", "movies.csv", "links.csv"]  # no genome scores: nothing reads them
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ml-25m"]  # no .part, no staging folder
    catalog = load_catalog("ml-25m", tmp_path)
    assert catalog.label(1) == "The Matrix (1999)" and catalog.frame.at[1, "imdb_id"] == 133093


def test_the_base_url_comes_from_movielens_url(
    tmp_path: Path, ml25m: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving({"ml-25m.zip": ml25m}) as server:
        monkeypatch.setenv("MOVIELENS_URL", server.base_url)
        assert fetch("ml-25m", tmp_path, log=quiet).source == "grouplens"
    assert server.requests == [("datasets/movielens/ml-25m.zip", None)]


def test_a_wrong_md5_keeps_nothing(tmp_path: Path, ml25m: bytes) -> None:
    tampered = release_zip(
        "ml-25m", {**CSV_FILES, "ratings.csv": "userId,movieId,rating,timestamp\n1,1,5.0,1\n"}
    )
    with (
        serving({"ml-25m.zip": tampered}) as server,
        pytest.raises(ChecksumError, match=r"ml-25m.zip: md5 is \w+, expected " + md5(ml25m)),
    ):
        fetch("ml-25m", tmp_path, log=quiet, base_url=server.base_url)
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_download_resumes_where_it_stopped(tmp_path: Path, ml25m: bytes) -> None:
    half = len(ml25m) // 2
    with serving({"ml-25m.zip": ml25m}) as server:
        server.cut_after = half
        with pytest.raises(FetchError, match=r"cut off after .* run the same command again"):
            fetch("ml-25m", tmp_path, log=quiet, base_url=server.base_url)
        assert not (tmp_path / "ml-25m").exists()  # never half a dataset
        assert (tmp_path / ".ml-25m.zip.part").stat().st_size == half
        result = fetch("ml-25m", tmp_path, log=quiet, base_url=server.base_url)
    assert server.requests[-1] == ("datasets/movielens/ml-25m.zip", f"bytes={half}-")
    assert result.source == "grouplens"
    assert len(load_dataset("ml-25m", tmp_path).ratings) == 2
    assert not (tmp_path / ".ml-25m.zip.part").exists()


def test_offline_says_where_to_put_the_zip_and_then_uses_it(tmp_path: Path, ml25m: bytes) -> None:
    url = closed_port_url()
    with pytest.raises(FetchError) as raised:
        fetch("ml-25m", tmp_path, log=quiet, base_url=url)
    message = str(raised.value)
    assert "\n" not in message
    assert f"download {url}/ml-25m.zip elsewhere, put it at {tmp_path / 'ml-25m.zip'}" in message
    assert not (tmp_path / "ml-25m").exists()
    (tmp_path / "ml-25m.zip").write_bytes(ml25m)
    result = fetch("ml-25m", tmp_path, log=quiet, base_url=url)
    assert result.source == "local zip"
    assert load_catalog("ml-25m", tmp_path).title(2).startswith("Amélie")


def test_a_hand_placed_zip_with_the_wrong_md5_is_refused_and_left_alone(
    tmp_path: Path, ml25m: bytes
) -> None:
    (tmp_path / "ml-25m.zip").write_bytes(release_zip("ml-25m", {"README.txt": "x"}))
    with pytest.raises(ChecksumError):
        fetch("ml-25m", tmp_path, log=quiet, base_url=closed_port_url())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ml-25m.zip"]


def test_ml_latest_is_checked_against_the_md5_published_beside_it(tmp_path: Path) -> None:
    data = release_zip("ml-latest-small", CSV_FILES)
    sidecar = f"MD5 (ml-latest-small.zip) = {md5(data)}\n".encode()
    with serving({"ml-latest-small.zip": data, "ml-latest-small.zip.md5": sidecar}) as server:
        assert fetch("ml-latest-small", tmp_path, log=quiet, base_url=server.base_url).source
    wrong = f"{'0' * 32}  ml-latest-small.zip\n".encode()
    shutil.rmtree(tmp_path / "ml-latest-small")
    with (
        serving({"ml-latest-small.zip": data, "ml-latest-small.zip.md5": wrong}) as server,
        pytest.raises(ChecksumError),
    ):
        fetch("ml-latest-small", tmp_path, log=quiet, base_url=server.base_url)


def test_a_zip_that_is_not_a_release_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = release_zip("ml-25m", {"README.txt": "nothing here"})
    monkeypatch.setitem(RELEASES, "ml-25m", dataclasses.replace(RELEASES["ml-25m"], md5=md5(data)))
    with (
        serving({"ml-25m.zip": data}) as server,
        pytest.raises(FetchError, match=r"not a MovieLens release"),
    ):
        fetch("ml-25m", tmp_path, log=quiet, base_url=server.base_url)
    assert list(tmp_path.iterdir()) == []


def test_the_command_shows_progress_and_fetches_every_release_name(
    tmp_path: Path,
    ml25m: bytes,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with serving({"ml-25m.zip": ml25m}) as server:
        monkeypatch.setenv("MOVIELENS_URL", server.base_url)
        assert cli_main(["fetch", "ml-25m", "--data-dir", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert f"ml-25m: {tmp_path / 'ml-25m'} (grouplens)" in out
    assert "ml-25m.zip: 100%" in err and "B/s" in err


@pytest.mark.parametrize("name", ["ml-99m", "../ml-100k"])
def test_an_unknown_name_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match=r"not a MovieLens release; known: ml-100k, ml-1m"):
        fetch(name, tmp_path)


def test_every_release_with_a_fixed_md5_has_a_well_formed_one() -> None:
    fixed = {name: r.md5 for name, r in RELEASES.items() if r.md5 is not None}
    assert set(RELEASES) - set(fixed) == {"ml-latest", "ml-latest-small"}
    assert all(len(value) == 32 and int(value, 16) >= 0 for value in fixed.values())


# ----------------------------------------------------------------------------- ml-100k


def make_wheel(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("recbole/__init__.py", "")
        wheel.writestr(fetch_module.RECBOLE_MEMBERS[0], INTER)
        wheel.writestr(fetch_module.RECBOLE_MEMBERS[1], ITEMS)
        wheel.writestr("recbole/dataset_example/ml-1m/ml-1m.inter", "not wanted")
    return path


def digest(path: Path, algorithm: str) -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def must_not_download(work: Path) -> Path:
    raise AssertionError("downloaded although the data is present")


@pytest.fixture
def offline_pypi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """GroupLens unreachable and pip handing out a fake wheel whose hash is "published";
    returns the log lines."""
    wheel = make_wheel(tmp_path / "recbole-1.2.1-py3-none-any.whl")
    monkeypatch.setattr(fetch_module, "RECBOLE_SHA256", digest(wheel, "sha256"))
    monkeypatch.setenv("MOVIELENS_URL", closed_port_url())
    monkeypatch.setattr(
        fetch_module, "download_recbole", lambda work: Path(shutil.copy(wheel, work))
    )
    return []


def test_ml_100k_falls_back_to_pypi_and_extracts_only_the_two_files(
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
    monkeypatch.setattr(fetch_module, "download_recbole", must_not_download)
    result = fetch("ml-100k", tmp_path, log=offline_pypi.append)
    assert result.source == "already present"
    assert "already present" in offline_pypi[-1]


def test_ml_100k_prefers_grouplens_when_reachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = release_zip("ml-100k", {"u.data": "196\t1\t3\t881250949\n", "u.item": U_ITEM})
    monkeypatch.setitem(
        RELEASES, "ml-100k", dataclasses.replace(RELEASES["ml-100k"], md5=md5(data))
    )
    monkeypatch.setattr(fetch_module, "download_recbole", must_not_download)
    with serving({"ml-100k.zip": data}) as server:
        result = fetch(data_dir=tmp_path / "data", log=quiet, base_url=server.base_url)
    assert result.source == "grouplens"
    assert sorted(p.name for p in result.path.iterdir()) == ["u.data", "u.item"]


def test_a_wheel_with_the_wrong_checksum_is_rejected(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "recbole-1.2.1-py3-none-any.whl")
    with pytest.raises(ChecksumError, match=r"sha256 is .*, expected 9c99482020"):
        fetch_module.install_recbole_wheel(wheel, tmp_path / "ml-100k")
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


def test_no_source_at_all_says_what_each_answered_and_where_the_zip_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def pip_fails(work: Path) -> Path:
        raise FetchError("pip download failed (1): no matching distribution")

    monkeypatch.setattr(fetch_module, "download_recbole", pip_fails)
    with pytest.raises(
        FetchError, match=r"cannot reach .*no matching distribution.*put ml-100k.zip at"
    ):
        fetch(data_dir=tmp_path, log=quiet, base_url=closed_port_url())
    assert list(tmp_path.iterdir()) == []


def test_an_incomplete_folder_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "ml-100k").mkdir()
    (tmp_path / "ml-100k" / "u.data").write_text("mine")
    with pytest.raises(FetchError, match=r"not a complete ml-100k"):
        fetch(data_dir=tmp_path, log=quiet)
    assert (tmp_path / "ml-100k" / "u.data").read_text() == "mine"


@pytest.mark.network
def test_really_fetches_ml_100k(tmp_path: Path) -> None:
    result = fetch(data_dir=tmp_path, log=quiet)
    assert result.source in {"grouplens", "pypi:recbole==1.2.1"}
    assert len(load_dataset("ml-100k", tmp_path).ratings) == 100_000
    assert fetch(data_dir=tmp_path, log=quiet).source == "already present"
