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
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from bot import model_files
from bot.config import Settings
from bot.service import MovieService
from bot.storage import Storage
from bot.training_worker import TrainJob, train_candidate
from bot.worker_process import run_worker
from recsys import FactorModel, TrainConfig
from recsys.data import RELEASES
from recsys.data.parquet import write_parquet_ratings
from recsys.elicit import elicitor_for

log = logging.getLogger(__name__)

RMSE_TOLERANCE = 0.005  # stars: the candidate may be this much worse and still serve
NDCG_TOLERANCE = 0.01
Progress = Callable[[str], Awaitable[None]]
Finished = Literal["swapped", "kept", "failed"]
RECORD_TRIES_S = (0.5, 1, 2, 4, 8, 15)  # a busy database gets this long to record a run


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


def training_job(settings: Settings, workdir: Path, snapshot: str = "") -> TrainJob:
    """A job on the configured catalogue, its files in ``workdir``."""
    return TrainJob(
        data_dir=str(settings.data_dir.resolve()),
        dataset=catalogue_source(settings),
        snapshot=snapshot,
        serving_model=str(settings.model_path.resolve()),
        candidate=str(workdir / "candidate.safetensors"),
        progress=str(workdir / "progress.json"),
        config=training_config(settings).to_dict(),
        catalogue=catalogue_name(settings),
        engine=settings.train_engine,
        spark_master=settings.spark_master,
    )


def catalogue_source(settings: Settings) -> str:
    """CATALOGUE as the worker process should open it: a release or DATA_DIR folder name as
    it is, a path made absolute (the worker need not share the bot's working folder)."""
    value = settings.catalogue
    if value in RELEASES or (
        not Path(value).is_absolute() and (settings.data_dir / value).exists()
    ):
        return value
    return str(Path(value).resolve())


def catalogue_name(settings: Settings) -> str:
    """The catalogue's name, as models record it: ``ml-25m`` for ``/data/ml-25m.zip`` too."""
    return Path(settings.catalogue).name.removesuffix(".zip")


async def run_in_worker(
    function: Callable[[TrainJob], dict[str, Any]],
    job: TrainJob,
    report: Progress,
    *,
    timeout_s: float,
) -> dict[str, Any]:
    """``function(job)`` in a worker process (bot/worker_process.py: it dies with the bot and
    is killed past ``timeout_s``), passing its progress lines to ``report``."""
    last = ""

    async def relay() -> None:
        nonlocal last
        stage = _read_progress(job.progress)
        if stage and stage != last:
            last = stage
            await report(stage)

    return await run_worker(
        function,
        job,
        Path(job.candidate).with_name("result.json"),
        timeout_s=timeout_s,
        on_poll=relay,
    )


class AlreadyRunning(RuntimeError):
    """A run is in progress; a second one is not started."""


class Forgotten(RuntimeError):
    """Someone whose ratings the run trained on asked to be forgotten before it ended."""


@dataclass(frozen=True)
class RunReport:
    run_id: int | None  # None: the run could not even be recorded as started
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
        self._files = asyncio.Lock()  # one swap or rollback at a time
        self.last_started: float | None = None
        # Runs work next to the model (a candidate is then renamed, not copied, into place).
        # Whatever a killed bot left there is removed: snapshots hold people's ratings.
        self.workspace = settings.model_path.parent / ".training"
        shutil.rmtree(self.workspace, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._running is not None and not self._running.done()

    @property
    def previous_path(self) -> Path:
        return model_files.previous_of(self.settings.model_path)

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
        report = progress or _silent
        run_id: int | None = None
        self.workspace.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix="run-", dir=self.workspace))
        try:
            run_id = await self.storage.start_run(trigger)
            job, users = await self._prepare(workdir)
            await report("training started")
            result = await self._train(job, report)
            forgotten = users - await self.storage.existing_users(users)
            if forgotten:
                raise Forgotten(
                    f"{len(forgotten)} user(s) asked to be forgotten during the run; the "
                    "candidate, trained on their ratings, was discarded"
                )
            new, old, comparable = result["new"], result["old"], result["comparable"]
            status: Finished = "kept"
            if not comparable or better_or_equal(new, old):
                await self._swap(Path(job.candidate))
                status = "swapped"
        except Exception as exc:  # the worker died, the data was bad, the disk was full...
            log.error("training run %s failed; the serving model is unchanged: %s", run_id, exc)
            error = f"{type(exc).__name__}: {exc}"[:500]
            if run_id is not None:
                await self._record(run_id, "failed", error=error)
            return RunReport(run_id, "failed", None, None, time.perf_counter() - started, error)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        # From here the outcome stands, swapped or kept, whether or not it can be recorded.
        metrics = {"new": new, "old": old, "ratings": result["ratings"], "comparable": comparable}
        await self._record(run_id, status, metrics=metrics, model_version=self._version())
        seconds = time.perf_counter() - started
        return RunReport(run_id, status, new, old, seconds, comparable=comparable)

    async def _record(self, run_id: int, status: Finished, **details: Any) -> None:
        """Record how a run ended, waiting out a busy database for a while; a run that still
        cannot be recorded is logged (a restart then marks it failed)."""
        for delay in (*RECORD_TRIES_S, None):
            try:
                await self.storage.finish_run(run_id, status, **details)
                return
            except sqlite3.OperationalError as error:
                if delay is None:
                    log.error("could not record run %s as %s: %s", run_id, status, error)
                    return
                await asyncio.sleep(delay)

    async def _prepare(self, workdir: Path) -> tuple[TrainJob, set[int]]:
        """The training job, and the Telegram users whose ratings it holds. The snapshot
        numbers users 0, 1, 2…: no Telegram id leaves the bot (the worker deletes the file
        once read)."""
        events = await self.storage.all_ratings()
        telegram_ids = np.array([e.user_id for e in events], np.int64)
        users, anonymous = np.unique(telegram_ids, return_inverse=True)
        snapshot = workdir / "bot-ratings.parquet"
        frame = pd.DataFrame(
            {
                "user_id": anonymous.astype(np.int64),
                "item_id": np.array([e.item_id for e in events], np.int64),
                "rating": np.array([e.stars for e in events], np.float32),
            }
        )
        await asyncio.to_thread(write_parquet_ratings, frame, snapshot)
        return training_job(self.settings, workdir, snapshot=str(snapshot)), set(users.tolist())

    async def _train(self, job: TrainJob, report: Progress) -> dict[str, Any]:
        return await run_in_worker(
            train_candidate, job, report, timeout_s=self.settings.train_timeout_minutes * 60
        )

    async def _swap(self, candidate: Path) -> None:
        """Keep the serving file for rollback, put the candidate in its place, reload."""
        model = await asyncio.to_thread(_load_warm, candidate)  # refuse a bad file early
        async with self._files:
            await asyncio.to_thread(model_files.install, candidate, self.settings.model_path)
            self.service.swap_model(model)
        log.info("now serving the retrained model (%s)", self._version())

    async def rollback(self) -> bool:
        """Serve the previous model again; False when there is none (so a second rollback
        does not undo the first). The file on disk and the model served change together."""
        async with self._files:
            previous = self.previous_path
            if not previous.exists():
                return False
            model = await asyncio.to_thread(_load_warm, previous)
            await asyncio.to_thread(model_files.roll_back, self.settings.model_path)
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


def _read_progress(path: str) -> str | None:
    try:
        with open(path) as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    eta = data.get("eta_s")
    left = "" if eta is None or eta < 1 else f", about {_duration(eta)} left"
    return f"{data['stage']} ({data['fraction']:.0%}{left})"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{round(seconds)} s"
    return f"{round(seconds / 60)} min"


async def _silent(message: str) -> None:
    return None
