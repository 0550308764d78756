"""Open any MovieLens release by name, folder or zip: find its format, then read it."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pandas as pd

from recsys.data.cache import CACHE_DIR_NAME, default_cache_dir
from recsys.data.errors import DataFormatError
from recsys.data.readers import atomic, dat, ml100k
from recsys.data.readers import csv as csv_reader
from recsys.data.releases import RELEASES
from recsys.data.types import Catalog, Dataset

DATA_DIR_ENV = "MOVIEBOT_DATA_DIR"

Reader = Callable[[Path, str | None], Dataset]
CatalogReader = Callable[[Path], Catalog]
HeadReader = Callable[[Path, int], pd.DataFrame]
# Checked in this order; each format is recognised by the pair of files it cannot do without.
FORMATS: dict[str, tuple[tuple[str, ...], Reader, CatalogReader, HeadReader]] = {
    "ml100k": (ml100k.REQUIRED, ml100k.read, ml100k.catalog, ml100k.ratings_head),
    "dat": (dat.REQUIRED, dat.read, dat.catalog, dat.ratings_head),
    "csv": (csv_reader.REQUIRED, csv_reader.read, csv_reader.catalog, csv_reader.ratings_head),
    "atomic": (atomic.REQUIRED, atomic.read, atomic.catalog, atomic.ratings_head),
}
_IGNORED_TOP_LEVEL = frozenset({"__MACOSX", CACHE_DIR_NAME})


def default_data_dir() -> Path:
    """``$MOVIEBOT_DATA_DIR``, else ``data`` in the current directory."""
    return Path(os.environ.get(DATA_DIR_ENV) or "data")


def load_dataset(source: str | Path, data_dir: Path | None = None) -> Dataset:
    """A release by name (a folder in ``data_dir``, default ``default_data_dir()``), or by the
    path of a folder or ``.zip`` holding any supported format (see ``detect_format``).

    Raises FileNotFoundError when there is nothing at ``source`` (for "ml-100k", saying how to
    fetch it) and DataFormatError when what is there is not a readable release.
    """
    path = _resolve(source, data_dir or default_data_dir())
    name = path.name.removesuffix(".zip")
    if path.suffix == ".zip":
        path = extract_zip(path)
    root, format_name = _locate(path)
    dataset = FORMATS[format_name][1](root, name)
    return replace(dataset, catalog=replace(dataset.catalog, name=dataset.name))


def load_catalog(source: str | Path, data_dir: Path | None = None) -> Catalog:
    """Only the films of a release named or placed as for ``load_dataset``: the ratings file
    is not read, so a process that serves recommendations never holds it. Same errors."""
    path = _resolve(source, data_dir or default_data_dir())
    name = path.name.removesuffix(".zip")
    if path.suffix == ".zip":
        path = extract_zip(path)
    root, format_name = _locate(path)
    return replace(FORMATS[format_name][2](root), name=name)


def load_ratings_head(
    source: str | Path, max_bytes: int, data_dir: Path | None = None
) -> pd.DataFrame:
    """The ratings in about the first ``max_bytes`` of a release's ratings file, whole lines
    only, without reading the rest: a quick sample (every rating of the first users, where the
    file is sorted by user as MovieLens' big releases are). Same errors as ``load_dataset``."""
    path = _resolve(source, data_dir or default_data_dir())
    if path.suffix == ".zip":
        path = extract_zip(path)
    root, format_name = _locate(path)
    return FORMATS[format_name][3](root, max_bytes)


def detect_format(path: str | Path) -> str:
    """Which reader fits the folder or zip at ``path``: "ml100k", "dat", "csv" or "atomic".

    Files may sit at the top or inside one top-level folder. Raises DataFormatError naming the
    missing file when only half of a format's files are there.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist")
    if path.suffix == ".zip":
        with _open_zip(path) as archive:
            names = [PurePosixPath(n) for n in archive.namelist() if not n.endswith("/")]
        return _detect(path, _top_files(names))[1]
    return _locate(path)[1]


def extract_zip(path: Path) -> Path:
    """The folder ``path`` is unpacked into, once per version of the zip (size and time).

    It goes to ``.cache/`` beside the zip, or to the user cache when that is read-only; the
    extraction happens in a temporary folder renamed into place, so a folder that exists is
    complete. Older extractions of the same zip are removed.
    """
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    for base in (path.parent / CACHE_DIR_NAME, default_cache_dir()):
        target = base / f"{path.name}-{key.hexdigest()[:16]}"
        if target.is_dir():
            return target
        try:
            base.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=base, prefix=f".{path.name}-"))
        except OSError:
            continue
        try:
            with _open_zip(path) as archive:
                try:
                    archive.extractall(staging)  # zipfile drops ".." and absolute parts itself
                except (zipfile.BadZipFile, EOFError) as exc:
                    raise DataFormatError(path, f"damaged zip ({exc})") from exc
            try:
                staging.rename(target)
            except OSError:
                if not target.is_dir():  # another process did not just win the race
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for old in base.glob(f"{path.name}-*"):
            if old != target:
                shutil.rmtree(old, ignore_errors=True)
        return target
    raise OSError(f"no writable folder to unpack {path} into")


def _resolve(source: str | Path, data_dir: Path) -> Path:
    if isinstance(source, str) and "/" not in source and os.sep not in source:
        named = data_dir / source
        if named.exists():
            return named
        if source in RELEASES:
            raise FileNotFoundError(
                f"{named} not found: run `python -m recsys fetch {source}` to download it"
                + ("" if data_dir == Path("data") else f" with --data-dir {data_dir}")
            )
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (nor {data_dir / path.name})")
    return path


def _locate(path: Path) -> tuple[Path, str]:
    """The folder holding the release's files (``path`` or its one subfolder) and the format."""
    if not path.is_dir():
        raise DataFormatError(path, "not a folder or a .zip of a MovieLens release")
    entries = [PurePosixPath(p.name) for p in path.iterdir() if p.is_file()]
    subfolders = [p for p in path.iterdir() if p.is_dir() and p.name not in _IGNORED_TOP_LEVEL]
    if len(subfolders) == 1:
        entries += [PurePosixPath(subfolders[0].name, p.name) for p in subfolders[0].iterdir()]
    prefix, format_name = _detect(path, entries)
    return path / prefix, format_name


def _top_files(names: Iterable[PurePosixPath]) -> list[PurePosixPath]:
    return [n for n in names if len(n.parts) <= 2 and n.parts[0] not in _IGNORED_TOP_LEVEL]


def _detect(path: Path, names: Iterable[PurePosixPath]) -> tuple[str, str]:
    """``(folder prefix, format)`` from relative file names at most one folder deep."""
    by_folder: dict[str, list[str]] = {}
    for name in names:
        by_folder.setdefault(str(name.parent) if name.parent.parts else "", []).append(name.name)
    folders = [""] if "" in by_folder else []
    folders += sorted(f for f in by_folder if f) if len(by_folder.keys() - {""}) == 1 else []
    for folder in folders:
        files = by_folder[folder]
        for format_name, (required, *_) in FORMATS.items():
            present = [any(PurePosixPath(f).match(r) for f in files) for r in required]
            if all(present):
                return folder, format_name
            if any(present):
                missing = required[present.index(False)]
                raise DataFormatError(path / folder / missing, "missing required file")
    expected = ", ".join(required[0] for required, *_ in FORMATS.values())
    raise DataFormatError(path, f"not a MovieLens release: found none of {expected}")


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise DataFormatError(path, f"not a readable zip ({exc})") from exc
