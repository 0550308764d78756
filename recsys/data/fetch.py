"""Download MovieLens 100k: from GroupLens when it can be reached, else from PyPI.

RecBole's wheel on PyPI carries ML-100k as atomic files, so any machine that can install
packages can get the data. Each download is checked against its published checksum, unpacked
into a temporary folder beside the destination and renamed into place: a crash or a bad
download never leaves half a dataset behind.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from recsys.data.errors import ChecksumError, FetchError
from recsys.data.load import default_data_dir

NAME = "ml-100k"
GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens/ml-100k.zip"
# As published in ml-100k.zip.md5 beside the zip.
GROUPLENS_MD5 = "0e33842e24a9c977be4e0107933c0723"
GROUPLENS_TIMEOUT_S = 10.0
RECBOLE_REQUIREMENT = "recbole==1.2.1"
# PyPI's sha256 for recbole-1.2.1-py3-none-any.whl.
RECBOLE_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
RECBOLE_MEMBERS = tuple(
    f"recbole/dataset_example/ml-100k/ml-100k.{suffix}" for suffix in ("inter", "item")
)
PIP_TIMEOUT_S = 300

SOURCE_PRESENT = "already present"
SOURCE_GROUPLENS = "grouplens"
SOURCE_PYPI = f"pypi:{RECBOLE_REQUIREMENT}"
# Either layout is a complete ML-100k: the original one, or RecBole's atomic files.
COMPLETE_LAYOUTS = (("u.data", "u.item"), ("ml-100k.inter", "ml-100k.item"))

Log = Callable[[str], object]


@dataclass(frozen=True)
class FetchResult:
    """Where the dataset is and where it came from (one of the ``SOURCE_*`` strings)."""

    path: Path
    source: str


def fetch(name: str = NAME, data_dir: Path | None = None, *, log: Log = print) -> FetchResult:
    """Make sure ``data_dir/ml-100k`` holds MovieLens 100k, downloading it if needed.

    Tries GroupLens first, then RecBole's wheel via pip. Raises ChecksumError when a download
    does not match its checksum (keeping none of it), FetchError when no source answers.
    """
    if name != NAME:
        raise ValueError(f"only {NAME} can be fetched, not {name!r}")
    data_dir = data_dir or default_data_dir()
    target = data_dir / name
    if is_present(target):
        log(f"{name}: already present in {target}")
        return FetchResult(target, SOURCE_PRESENT)
    if target.exists() and any(target.iterdir()):
        raise FetchError(f"{target} exists but is not a complete {name}; remove it and retry")
    data_dir.mkdir(parents=True, exist_ok=True)
    # Inside data_dir, so that the final rename stays on one file system.
    with tempfile.TemporaryDirectory(dir=data_dir, prefix=f".fetch-{name}-") as work_dir:
        work = Path(work_dir)
        downloaded, source = _download(work, log)
        install = install_grouplens_zip if source == SOURCE_GROUPLENS else install_recbole_wheel
        install(downloaded, work / name)
        _move_into_place(work / name, target)
    log(f"{name}: fetched from {source} into {target}")
    return FetchResult(target, source)


def _download(work: Path, log: Log) -> tuple[Path, str]:
    """The first file a source delivers, and that source."""
    try:
        return download_grouplens(work), SOURCE_GROUPLENS
    except (OSError, http.client.HTTPException) as exc:
        grouplens_failure = f"{GROUPLENS_URL}: {exc}"
        log(f"{NAME}: GroupLens unreachable ({exc}); trying PyPI ({RECBOLE_REQUIREMENT})")
    try:
        return download_recbole(work), SOURCE_PYPI
    except (OSError, FetchError) as exc:
        raise FetchError(f"could not fetch {NAME}: {grouplens_failure}; pip: {exc}") from exc


def is_present(path: Path) -> bool:
    """Whether ``path`` holds all files of one complete ML-100k layout."""
    return any(all((path / f).is_file() for f in layout) for layout in COMPLETE_LAYOUTS)


def download_grouplens(work: Path) -> Path:
    """The GroupLens zip, downloaded into ``work``."""
    destination = work / PurePosixPath(GROUPLENS_URL).name
    with (
        urllib.request.urlopen(GROUPLENS_URL, timeout=GROUPLENS_TIMEOUT_S) as response,
        destination.open("wb") as file,
    ):
        shutil.copyfileobj(response, file)
    return destination


def download_recbole(work: Path) -> Path:
    """RecBole's wheel, downloaded into ``work`` by pip (which honours the user's index)."""
    command = [
        *(sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"),
        *("--quiet", "--disable-pip-version-check", "--no-input"),
        *(RECBOLE_REQUIREMENT, "-d", str(work)),
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"pip download took over {PIP_TIMEOUT_S} s") from exc
    wheels = sorted(work.glob("recbole-*.whl"))
    if done.returncode != 0 or not wheels:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise FetchError(f"pip download failed ({done.returncode}): {' / '.join(tail)}")
    return wheels[0]


def install_grouplens_zip(
    zip_path: Path, destination: Path, expected_md5: str | None = None
) -> None:
    """Check ``zip_path`` against GroupLens' md5, then unpack its ``ml-100k/`` files into
    ``destination`` (created; it must not exist)."""
    _verify(zip_path, "md5", expected_md5 or GROUPLENS_MD5)
    with zipfile.ZipFile(zip_path) as archive:
        members = {
            PurePosixPath(n).name: n
            for n in archive.namelist()
            if PurePosixPath(n).parent == PurePosixPath(NAME) and not n.endswith("/")
        }
        _extract(archive, members, COMPLETE_LAYOUTS[0], destination)


def install_recbole_wheel(
    wheel_path: Path, destination: Path, expected_sha256: str | None = None
) -> None:
    """Check ``wheel_path`` against PyPI's sha256, then copy only its two ML-100k atomic
    files into ``destination`` (created; it must not exist)."""
    _verify(wheel_path, "sha256", expected_sha256 or RECBOLE_SHA256)
    with zipfile.ZipFile(wheel_path) as archive:
        present = set(archive.namelist())
        members = {PurePosixPath(m).name: m for m in RECBOLE_MEMBERS if m in present}
        _extract(archive, members, COMPLETE_LAYOUTS[1], destination)


def _verify(path: Path, algorithm: str, expected: str) -> None:
    with path.open("rb") as file:
        found = hashlib.file_digest(file, algorithm).hexdigest()
    if found != expected.lower():
        raise ChecksumError(
            f"{path.name}: {algorithm} is {found}, expected {expected}; "
            "the download is damaged or not the published file"
        )


def _extract(
    archive: zipfile.ZipFile,
    members: dict[str, str],
    required: tuple[str, ...],
    destination: Path,
) -> None:
    """Write each ``members[file name] = archive name`` flat into ``destination``, once sure
    that the ``required`` files are among them."""
    if missing := [f for f in required if f not in members]:
        raise FetchError(f"{archive.filename} lacks {', '.join(missing)}")
    destination.mkdir(parents=True)
    for file_name, member in members.items():
        with archive.open(member) as source, (destination / file_name).open("wb") as target:
            shutil.copyfileobj(source, target)


def _move_into_place(staging: Path, target: Path) -> None:
    try:
        os.replace(staging, target)  # also replaces an empty folder left by the user
    except OSError:
        if not is_present(target):  # else another fetch finished first: same data
            raise
