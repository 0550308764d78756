"""The training worker's process: started, watched and, when needed, killed by the bot.

A worker must never outlive the bot, nor hang it. It runs in a fresh ``spawn`` process (no
copy of the bot's threads, loop or sockets) that the kernel kills when the bot dies, SIGKILL
included (``PR_SET_PDEATHSIG``; Linux). The bot polls it without blocking and kills it when
it runs past its time limit, stopped (SIGSTOP) or not. The result comes back as a JSON file.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import multiprocessing
import os
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

POLL_S = 1.0
_PR_SET_PDEATHSIG = 1


class WorkerFailed(RuntimeError):
    """The worker raised, died, or ran out of time; the message says which, in one line."""


async def run_worker(
    target: Callable[[Any], dict[str, Any]],
    job: Any,
    result_path: Path,
    *,
    timeout_s: float,
    on_poll: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """``target(job)`` in a worker process; its JSON-able result. ``on_poll`` runs about once
    a second while the worker works (to relay its progress)."""
    context = multiprocessing.get_context("spawn")
    # Started from the event loop's thread on purpose: the death signal follows the thread
    # that made the child, and a thread pool's thread may end before the bot does.
    process = context.Process(
        target=_child, args=(target, job, str(result_path), os.getpid()), daemon=True
    )
    process.start()
    deadline = time.monotonic() + timeout_s
    try:
        while process.exitcode is None:
            if time.monotonic() > deadline:
                raise WorkerFailed(
                    f"the training worker ran past its limit of {timeout_s / 60:.0f} min and "
                    "was stopped (TRAIN_TIMEOUT_MINUTES)"
                )
            await asyncio.sleep(POLL_S)
            if on_poll is not None:
                await on_poll()
    finally:
        if process.exitcode is None:
            process.kill()  # SIGKILL works on a stopped (SIGSTOP) process too
            await asyncio.to_thread(process.join)
        process.close()
    return _result(result_path)


def _result(path: Path) -> dict[str, Any]:
    try:
        answer = json.loads(path.read_text())
    except (OSError, ValueError):
        raise WorkerFailed("the training worker died without a result") from None
    if "error" in answer:
        raise WorkerFailed(answer["error"])
    return dict(answer["result"])


def _child(
    target: Callable[[Any], dict[str, Any]], job: Any, result_path: str, parent: int
) -> None:
    """The worker's first and only code: die with the bot, run, write the outcome."""
    _die_with_parent(parent)
    try:
        outcome: dict[str, Any] = {"result": target(job)}
    except Exception as error:  # reported to the bot, which records the run as failed
        traceback.print_exc()
        outcome = {"error": f"{type(error).__name__}: {error}"[:500]}
    tmp = f"{result_path}.tmp"
    with open(tmp, "w") as fh:
        json.dump(outcome, fh)
    os.replace(tmp, result_path)


def _die_with_parent(parent: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the bot died before the signal was set up
        os._exit(1)
