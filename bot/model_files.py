"""The serving model's files on disk: a candidate goes in, the one it replaces is kept for one
rollback, and at every moment each name holds a whole file.

``<model>`` serves. ``install`` keeps it as ``<model>.previous`` (a hard link: no space
needed) only once the candidate's copy is complete and synced as ``<model>.incoming``; a full
disk stops it before anything changed. ``roll_back`` puts ``.previous`` back and keeps the model
it replaces as ``<model>.rolled-back``, so a second rollback finds nothing to roll back to
instead of swapping the models back.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def previous_of(target: Path) -> Path:
    return target.with_name(target.name + ".previous")


def rolled_back_of(target: Path) -> Path:
    return target.with_name(target.name + ".rolled-back")


def install(candidate: Path, target: Path) -> None:
    """Serve ``candidate`` at ``target``, keeping what served there as ``.previous``."""
    incoming = target.with_name(target.name + ".incoming")
    try:
        copy_synced(candidate, incoming)
        if target.exists():
            keep(target, previous_of(target))
    except BaseException:
        incoming.unlink(missing_ok=True)  # a full disk: the serving file is untouched
        raise
    os.replace(incoming, target)
    sync_folder(target.parent)


def roll_back(target: Path) -> bool:
    """Serve ``.previous`` again; False (and nothing changed) when there is none."""
    previous = previous_of(target)
    if not previous.exists():
        return False
    if target.exists():
        keep(target, rolled_back_of(target))
    os.replace(previous, target)
    sync_folder(target.parent)
    return True


def keep(source: Path, as_: Path) -> None:
    """Make ``as_`` a whole copy of ``source`` (a hard link where the file system has them),
    replacing what was there only once the copy is complete."""
    staged = as_.with_name(as_.name + ".tmp")
    staged.unlink(missing_ok=True)
    try:
        os.link(source, staged)
    except OSError:  # no hard links here: a real copy
        try:
            copy_synced(source, staged)
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
    os.replace(staged, as_)


def copy_synced(source: Path, destination: Path) -> None:
    """Copy, then fsync, so a crash right after cannot leave a short file behind a rename."""
    shutil.copyfile(source, destination)
    with open(destination, "rb+") as fh:
        os.fsync(fh.fileno())


def sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
