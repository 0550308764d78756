"""Many small independent tensor jobs on every core, robust to a machine shared with others."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import torch

T = TypeVar("T")


def run_all(work: Callable[[T], object], jobs: Sequence[T]) -> None:
    """``work(job)`` for every job, on ``torch.get_num_threads()`` single-threaded workers.

    One worker per core rather than each small op split over all cores: an op split across
    threads waits at a barrier for its slowest thread, and on a machine shared with other
    processes that thread is often descheduled, which made sweeps 2-5x slower here. Whole
    jobs per thread also parallelise what torch runs serially, such as the loop over a batch
    inside ``linalg.cholesky_ex``. Jobs must write disjoint outputs.
    """
    workers = torch.get_num_threads()
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            work(job)
        return
    try:
        with ThreadPoolExecutor(workers, initializer=torch.set_num_threads, initargs=(1,)) as pool:
            for _ in pool.map(work, jobs):
                pass
    finally:
        # A worker's set_num_threads also changes the default that new threads start with.
        torch.set_num_threads(workers)
