"""Download a MovieLens release into the data folder: from GroupLens (or ``$MOVIELENS_URL``),
from a zip the user put there by hand, and for ml-100k from PyPI when GroupLens is out of reach.

RecBole's wheel on PyPI carries ML-100k as atomic files, so any machine that can install
packages can get that one. Downloads go to ``.<name>.zip.part`` in the data folder and resume
from there after a cut; each zip is checked against its published md5, unpacked into a
temporary folder beside the destination and renamed into place: a crash or a bad download
never leaves half a dataset behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from recsys.data.download import Unreachable, download, parse_md5, published_md5, verify
from recsys.data.errors import ChecksumError, DataFormatError, FetchError
from recsys.data.load import default_data_dir, detect_format
from recsys.data.releases import Release, release

NAME = "ml-100k"
RECBOLE_REQUIREMENT = "recbole==1.2.1"
# PyPI's sha256 for recbole-1.2.1-py3-none-any.whl.
RECBOLE_SHA256 = "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407"
RECBOLE_MEMBERS = tuple(
    f"recbole/dataset_example/ml-100k/ml-100k.{suffix}" for suffix in ("inter", "item")
)
PIP_TIMEOUT_S = 300
# Hundreds of MB of tag relevance scores nothing here reads (ml-20m and later).
SKIPPED_PREFIX = "genome-"

SOURCE_PRESENT = "already present"
SOURCE_GROUPLENS = "grouplens"
SOURCE_LOCAL = "local zip"
SOURCE_PYPI = f"pypi:{RECBOLE_REQUIREMENT}"

Log = Callable[[str], object]


@dataclass(frozen=True)
class FetchResult:
    """Where the dataset is and where it came from (one of the ``SOURCE_*`` strings)."""

    path: Path
    source: str


def fetch(
    name: str = NAME,
    data_dir: Path | None = None,
    *,
    log: Log = print,
    base_url: str | None = None,
    progress: bool = False,
) -> FetchResult:
    """Make sure ``data_dir/<name>`` holds the release, downloading it if needed.

    ``base_url`` defaults to ``$MOVIELENS_URL``, else GroupLens; ``progress`` shows a bar on
    stderr. Raises ValueError for an unknown name, ChecksumError when a zip does not match its
    md5 (keeping none of a download), FetchError when no source delivers, with one line saying
    where to put the zip by hand.
    """
    rel = release(name)
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
        staging = Path(work_dir) / name
        source = _obtain(rel, data_dir, staging, base_url, log, progress)
        _move_into_place(staging, target)
    log(f"{name}: fetched from {source} into {target}")
    return FetchResult(target, source)


def is_present(path: Path) -> bool:
    """Whether ``path`` holds a complete release in a format the readers know."""
    try:
        detect_format(path)
    except (OSError, DataFormatError):
        return False
    return True


def by_hand_path(name: str, data_dir: Path | None = None) -> Path:
    """Where ``fetch`` looks for a zip downloaded by other means."""
    return (data_dir or default_data_dir()) / release(name).zip_name


def _obtain(
    rel: Release, data_dir: Path, staging: Path, base_url: str | None, log: Log, progress: bool
) -> str:
    """Unpack the release into ``staging`` from the first source that has it; its name."""
    by_hand = data_dir / rel.zip_name
    if by_hand.is_file():
        log(f"{rel.name}: using {by_hand}")
        install_release_zip(by_hand, staging, rel.md5 or _md5_beside(by_hand, log))
        return SOURCE_LOCAL
    url = rel.url(base_url)
    part = data_dir / f".{rel.zip_name}.part"
    try:
        expected = rel.md5 or published_md5(url)
        download(url, part, progress=progress, label=rel.zip_name)
    except FetchError as exc:
        if rel.name == NAME:
            _install_from_pypi(staging, exc, by_hand, log)
            return SOURCE_PYPI
        if isinstance(exc, Unreachable):
            raise FetchError(f"{exc}; {_by_hand_hint(rel, url, by_hand)}") from exc
        raise
    try:
        install_release_zip(part, staging, expected, rel.zip_name)
    except (ChecksumError, FetchError):
        part.unlink(missing_ok=True)  # resuming a wrong file would only stay wrong
        raise
    part.unlink()
    return SOURCE_GROUPLENS


def _by_hand_hint(rel: Release, url: str, by_hand: Path) -> str:
    return (
        f"download {url} elsewhere, put it at {by_hand} and run "
        f"`python -m recsys fetch {rel.name}` again"
    )


def _md5_beside(zip_path: Path, log: Log) -> str | None:
    """The md5 in ``<zip>.md5`` beside a hand-placed zip of a release rebuilt in place."""
    sidecar = zip_path.with_name(zip_path.name + ".md5")
    if sidecar.is_file():
        return parse_md5(sidecar.read_text(errors="replace"), str(sidecar))
    log(f"{zip_path.name}: no {sidecar.name} beside it; trusting the zip's own CRCs")
    return None


def _install_from_pypi(staging: Path, grouplens: FetchError, by_hand: Path, log: Log) -> None:
    log(f"{NAME}: GroupLens unreachable ({grouplens}); trying PyPI ({RECBOLE_REQUIREMENT})")
    with tempfile.TemporaryDirectory(dir=staging.parent, prefix=".pip-") as pip_dir:
        try:
            wheel = download_recbole(Path(pip_dir))
        except (OSError, FetchError) as exc:
            raise FetchError(
                f"could not fetch {NAME}: {grouplens}; pip: {exc}; or put {NAME}.zip at "
                f"{by_hand} and run `python -m recsys fetch {NAME}` again"
            ) from exc
        install_recbole_wheel(wheel, staging)


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


def install_release_zip(
    zip_path: Path, destination: Path, expected_md5: str | None, label: str | None = None
) -> None:
    """Check ``zip_path`` against ``expected_md5`` (None: the zip's CRCs only), then unpack
    the files of its one top-level folder flat into ``destination`` (created; it must not
    exist), which must then hold a release the readers know. ``label`` names the zip in
    errors (a download's file is a ``.part``)."""
    label = label or zip_path.name
    if expected_md5 is not None:
        verify(zip_path, "md5", expected_md5, label)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            files = [PurePosixPath(n) for n in archive.namelist() if not n.endswith("/")]
            tops = {f.parts[0] for f in files if len(f.parts) > 1 and f.parts[0] != "__MACOSX"}
            if len(tops) != 1:
                raise FetchError(f"{label}: expected one top-level folder, found {len(tops)}")
            (top,) = tops
            members = {
                f.name: str(f)
                for f in files
                if f.parent == PurePosixPath(top) and not f.name.startswith(SKIPPED_PREFIX)
            }
            _extract(archive, members, destination)
    except (zipfile.BadZipFile, EOFError) as exc:  # also a CRC that does not match
        raise ChecksumError(f"{label}: damaged zip ({exc})") from exc
    try:
        detect_format(destination)
    except DataFormatError as exc:
        raise FetchError(f"{label} is not a MovieLens release: {exc}") from exc


def install_recbole_wheel(
    wheel_path: Path, destination: Path, expected_sha256: str | None = None
) -> None:
    """Check ``wheel_path`` against PyPI's sha256, then copy only its two ML-100k atomic
    files into ``destination`` (created; it must not exist)."""
    verify(wheel_path, "sha256", expected_sha256 or RECBOLE_SHA256)
    with zipfile.ZipFile(wheel_path) as archive:
        present = set(archive.namelist())
        members = {PurePosixPath(m).name: m for m in RECBOLE_MEMBERS if m in present}
        if missing := [PurePosixPath(m).name for m in RECBOLE_MEMBERS if m not in present]:
            raise FetchError(f"{archive.filename} lacks {', '.join(missing)}")
        _extract(archive, members, destination)


def _extract(archive: zipfile.ZipFile, members: dict[str, str], destination: Path) -> None:
    """Write each ``members[file name] = archive name`` flat into ``destination``."""
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
