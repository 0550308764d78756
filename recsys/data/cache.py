"""A binary copy of a big ratings file, so that the second load takes seconds, not a minute.

The copy is one uncompressed ``.npz`` per source file, in a ``.cache/`` folder beside it (or,
when that folder cannot be written, in the user's cache folder). It remembers the source's
size and modification time; a copy that no longer matches, or cannot be read, is ignored and
written again. Writes go to a temporary file first and are renamed into place, so a crash
leaves either the old copy or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.data.types import RATING_COLUMNS, RATING_DTYPES, ratings_frame

log = logging.getLogger(__name__)

CACHE_DIR_NAME = ".cache"
# Bump when the readers change what they produce, so old copies are rebuilt.
CACHE_VERSION = 2  # 2: repeated (user, film) pairs removed, the last kept
# Smaller files parse faster than the cache would pay for itself (ML-100k: 2 MB, 30 ms).
CACHE_MIN_BYTES = 8 << 20
_META = "meta"


def default_cache_dir() -> Path:
    """Where copies go when the data folder is read-only: ``$MOVIEBOT_CACHE_DIR``, else the
    XDG cache folder."""
    if configured := os.environ.get("MOVIEBOT_CACHE_DIR"):
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "moviebot"


def last_rating_wins(ratings: pd.DataFrame) -> pd.DataFrame:
    """One rating per (user, film): where a file repeats a pair, the later line wins (as a
    person re-rating a film replaces their rating). Training assumes distinct pairs."""
    repeated = ratings.duplicated(["user_id", "item_id"], keep="last")
    if not repeated.any():
        return ratings
    log.warning("%d repeated (user, film) ratings: the last of each kept", int(repeated.sum()))
    return ratings[~repeated.to_numpy()].reset_index(drop=True)


def cached_ratings(
    source: Path,
    build: Callable[[], pd.DataFrame],
    *,
    cache_dir: Path | None = None,
    min_bytes: int = CACHE_MIN_BYTES,
) -> pd.DataFrame:
    """The ratings parsed from ``source`` by ``build``, from the binary copy when it is fresh.

    ``cache_dir`` forces where the copy lives; by default it is ``.cache/`` beside the source,
    falling back to ``default_cache_dir()``. Files under ``min_bytes`` are not cached. Failing
    to write a copy is logged, not raised: the data itself was read fine.
    """
    stat = source.stat()
    if stat.st_size < min_bytes:
        return last_rating_wins(build())
    meta = _meta(stat)
    targets = _targets(source, cache_dir)
    for target in targets:
        if (frame := _load(target, meta)) is not None:
            return frame
    frame = last_rating_wins(build())
    for target in targets:
        try:
            _save(target, frame, meta)
        except OSError as exc:
            log.debug("cannot write the ratings cache %s: %s", target, exc)
            continue
        return frame
    log.warning("no writable folder for the ratings cache of %s", source)
    return frame


def _meta(stat: os.stat_result) -> np.ndarray:
    return np.array([f"v{CACHE_VERSION}", str(stat.st_size), str(stat.st_mtime_ns)])


def _targets(source: Path, cache_dir: Path | None) -> list[Path]:
    if cache_dir is not None:
        return [cache_dir / _shared_name(source)]
    return [
        source.parent / CACHE_DIR_NAME / f"{source.name}.npz",
        default_cache_dir() / _shared_name(source),
    ]


def _shared_name(source: Path) -> str:
    # Many sources meet in a shared folder: tell them apart by where they live.
    digest = hashlib.sha256(str(source.resolve()).encode()).hexdigest()[:16]
    return f"{source.name}-{digest}.npz"


def _load(target: Path, meta: np.ndarray) -> pd.DataFrame | None:
    if not target.is_file():
        return None
    try:
        # Our own handle: np.load leaks the one it opens when the file is not an archive.
        with target.open("rb") as file:
            archive = np.load(file, allow_pickle=False)
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            with archive:
                if not np.array_equal(archive[_META], meta):
                    log.info("ratings cache %s is stale; rebuilding it", target)
                    return None
                columns = [archive[name] for name in RATING_COLUMNS]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        log.warning("ignoring unreadable ratings cache %s: %s", target, exc)
        return None
    lengths = {len(c) for c in columns}
    dtypes = [str(c.dtype) for c in columns]
    if len(lengths) != 1 or dtypes != [RATING_DTYPES[name] for name in RATING_COLUMNS]:
        log.warning("ignoring ratings cache %s: unexpected columns", target)
        return None
    return ratings_frame(*columns)


def _save(target: Path, frame: pd.DataFrame, meta: np.ndarray) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as file:
            # Typed loosely: numpy's stubs would match the names against savez's own options.
            arrays: dict[str, Any] = {name: frame[name].to_numpy() for name in RATING_COLUMNS}
            arrays[_META] = meta
            np.savez(file, **arrays)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; the data folder may be shared
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
