"""The training worker never outlives the bot nor hangs it: a time limit kills it, stopped or
not, and it dies with the bot, SIGKILL included."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.worker_process import WorkerFailed, run_worker

ROOT = Path(__file__).resolve().parents[2]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] != "Z"


async def test_a_result_comes_back(tmp_path: Path) -> None:
    assert await run_worker(dict, {"rmse": 0.9}, tmp_path / "r.json", timeout_s=60) == {"rmse": 0.9}


async def test_an_error_in_the_worker_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(WorkerFailed, match="ValueError"):
        await run_worker(int, "not a number", tmp_path / "r.json", timeout_s=60)


async def test_a_stopped_worker_is_killed_at_its_time_limit(tmp_path: Path) -> None:
    stopped: list[int] = []

    async def stop_it() -> None:  # SIGSTOP: the worker hangs without dying
        for child in multiprocessing.active_children():
            if child.pid not in stopped:
                os.kill(child.pid, signal.SIGSTOP)
                stopped.append(child.pid)

    started = time.monotonic()
    with pytest.raises(WorkerFailed, match="ran past its limit"):
        await run_worker(time.sleep, 3600, tmp_path / "r.json", timeout_s=3, on_poll=stop_it)
    assert time.monotonic() - started < 30
    assert stopped and not alive(stopped[0]), "the hung worker is still there"


PARENT = """
import asyncio, multiprocessing, sys, time
from bot.worker_process import run_worker

async def main():
    task = asyncio.create_task(run_worker(time.sleep, 3600, sys.argv[1], timeout_s=3600))
    while not multiprocessing.active_children():
        await asyncio.sleep(0.05)
    print(multiprocessing.active_children()[0].pid, flush=True)
    await task

asyncio.run(main())
"""


def test_the_worker_dies_with_a_killed_bot(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "r.json")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ) as bot:
        assert bot.stdout is not None
        worker = int(bot.stdout.readline())
        assert alive(worker)
        bot.kill()  # SIGKILL: no clean-up of its own runs
        bot.wait()
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker), "the worker outlived the bot"
