"""Retraining while the bot keeps answering: a worker process trains, the bot decides and swaps.

One run at a time. The bot snapshots its ratings (ratings that arrive later are used by fold-in
at once and by the next run), a separate process trains and scores the candidate and the
serving model on the same fixed holdout, and the candidate replaces the serving model only if
it is not worse beyond a small tolerance. The swap is a rename; the previous file is kept for
``rollback``. A crashed or killed worker leaves the serving model untouched. Every run is
recorded in the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.config import Settings
from bot.service import MovieService
from bot.storage import Storage
from bot.training_worker import TrainJob, train_candidate
from recsys import FactorModel, TrainConfig
from recsys.elicit import elicitor_for

log = logging.getLogger(__name__)

RMSE_TOLERANCE = 0.005  # stars: the candidate may be this much worse and still serve
NDCG_TOLERANCE = 0.01
Progress = Callable[[str], Awaitable[None]]


_TRAIN_SETTINGS = {
    "train_solver": "star_solver",
    "train_factors": "factors",
    "train_reg": "reg_factors",
    "train_epochs": "epochs",
    "train_seed": "seed",
}


def training_config(settings: Settings) -> TrainConfig:
    """TRAIN_CONFIG's settings (or the defaults), with every TRAIN_* setting that is set."""
    base = TrainConfig.from_file(settings.train_config) if settings.train_config else TrainConfig()
    chosen = {
        field: getattr(settings, name)
        for name, field in _TRAIN_SETTINGS.items()
        if name in settings.model_fields_set
    }
    return base.with_settings(chosen, "TRAIN_* settings")


class AlreadyRunning(RuntimeError):
    """A run is in progress; a second one is not started."""


@dataclass(frozen=True)
class RunReport:
    run_id: int
    status: str  # swapped | kept | failed
    new: dict[str, float] | None
    old: dict[str, float] | None
    seconds: float
    error: str | None = None
    comparable: bool = True  # False: the serving model had seen the holdout


def better_or_equal(new: dict[str, float], old: dict[str, float]) -> bool:
    """The candidate serves unless its RMSE or NDCG@10 is worse beyond the tolerance."""
    return (
        new["rmse"] <= old["rmse"] + RMSE_TOLERANCE
        and new["ndcg@10"] >= old["ndcg@10"] - NDCG_TOLERANCE
    )


class Retrainer:
    """Runs retraining jobs for one bot: at most one at a time, never on the event loop."""

    def __init__(self, settings: Settings, storage: Storage, service: MovieService) -> None:
        self.settings = settings
        self.storage = storage
        self.service = service
        self._running: asyncio.Task[RunReport] | None = None
        self.last_started: float | None = None

    @property
    def running(self) -> bool:
        return self._running is not None and not self._running.done()

    @property
    def previous_path(self) -> Path:
        return self.settings.model_path.with_name(self.settings.model_path.name + ".previous")

    async def start(self, trigger: str, progress: Progress | None = None) -> RunReport:
        """Run one retraining to the end; AlreadyRunning if one is in progress."""
        if self.running:
            raise AlreadyRunning
        self._running = asyncio.create_task(self._run(trigger, progress))
        return await self._running

    async def new_ratings_since_last_run(self) -> int:
        last = await self.storage.last_run()
        return await self.storage.ratings_since(last.started_at if last else 0)

    async def _run(self, trigger: str, progress: Progress | None) -> RunReport:
        started = time.perf_counter()
        self.last_started = time.time()
        run_id = await self.storage.start_run(trigger)
        report = progress or _silent
        workdir = Path(tempfile.mkdtemp(prefix="moviebot-train-"))
        try:
            job = await self._prepare(workdir)
            await report("training started")
            result = await self._train(job, report)
            new, old = result["new"], result["old"]
            comparable = result["comparable"]
            metrics = {
                "new": new,
                "old": old,
                "ratings": result["ratings"],
                "comparable": comparable,
            }
            if not comparable or better_or_equal(new, old):
                await self._swap(Path(job.candidate))
                status = "swapped"
            else:
                status = "kept"
            await self.storage.finish_run(
                run_id, status, metrics=metrics, model_version=self._version()
            )
            seconds = time.perf_counter() - started
            return RunReport(run_id, status, new, old, seconds, comparable=comparable)
        except Exception as exc:  # the worker died, the data was bad, the disk was full...
            log.exception("training run %s failed; the serving model is unchanged", run_id)
            error = f"{type(exc).__name__}: {exc}"[:500]
            await self.storage.finish_run(run_id, "failed", error=error)
            return RunReport(run_id, "failed", None, None, time.perf_counter() - started, error)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _prepare(self, workdir: Path) -> TrainJob:
        events = await self.storage.all_ratings()
        snapshot = workdir / "bot-ratings.npz"
        await asyncio.to_thread(
            np.savez,
            snapshot,
            user_id=np.array([e.user_id for e in events], np.int64),
            item_id=np.array([e.item_id for e in events], np.int64),
            stars=np.array([e.stars for e in events], np.float32),
        )
        s = self.settings
        return TrainJob(
            data_dir=str(s.data_dir.resolve()),
            dataset="ml-100k",
            snapshot=str(snapshot),
            serving_model=str(s.model_path.resolve()),
            candidate=str(workdir / "candidate.safetensors"),
            progress=str(workdir / "progress.json"),
            config=training_config(self.settings).to_dict(),
        )

    async def _train(self, job: TrainJob, report: Progress) -> dict[str, Any]:
        # A fresh "spawn" process: no fork of the bot's threads, event loop or sockets.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            future = asyncio.get_running_loop().run_in_executor(pool, train_candidate, job)
            last = ""
            while not future.done():
                await asyncio.wait([future], timeout=2.0)
                stage = _read_progress(job.progress)
                if stage and stage != last:
                    last = stage
                    await report(stage)
            return future.result()

    async def _swap(self, candidate: Path) -> None:
        """Keep the serving file for rollback, rename the candidate into place, reload."""
        target = self.settings.model_path
        model = await asyncio.to_thread(_load_warm, candidate)  # refuse a bad file early
        await asyncio.to_thread(_replace_keeping_previous, candidate, target, self.previous_path)
        self.service.swap_model(model)
        log.info("now serving the retrained model (%s)", self._version())

    async def rollback(self) -> bool:
        """Serve the previous model again; False when there is none."""
        previous = self.previous_path
        if not previous.exists():
            return False
        model = await asyncio.to_thread(_load_warm, previous)
        target = self.settings.model_path
        await asyncio.to_thread(_swap_files, target, previous)
        self.service.swap_model(model)
        return True

    def _version(self) -> str:
        trained_at = self.service.model.metadata.get("trained_at")
        fingerprint = self.service.model.metadata.get("data_fingerprint", "?")
        return f"{fingerprint}@{trained_at}"


def _load_warm(path: Path) -> FactorModel:
    """Load a model and build its question-picker in this thread, not on the event loop."""
    model = FactorModel.load(path)
    elicitor_for(model)
    return model


def _replace_keeping_previous(candidate: Path, target: Path, previous: Path) -> None:
    if target.exists():
        shutil.copy2(target, previous.with_suffix(".tmp"))
        os.replace(previous.with_suffix(".tmp"), previous)
    shutil.copy2(candidate, target.with_name(target.name + ".incoming"))
    os.replace(target.with_name(target.name + ".incoming"), target)


def _swap_files(a: Path, b: Path) -> None:
    """Exchange two files by renames, so each is always whole."""
    parking = a.with_name(a.name + ".swap")
    os.replace(a, parking)
    os.replace(b, a)
    os.replace(parking, b)


def _read_progress(path: str) -> str | None:
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    return f"{data['stage']} ({data['fraction']:.0%})"


async def _silent(message: str) -> None:
    return None
