"""The bot's resources — database, model, catalogue, service — opened once and closed once.

``open_resources`` runs in PTB's ``post_init`` (and in the console); everything reaches the
handlers through one typed :class:`Resources` object in ``bot_data``. The bot's process reads
the catalogue (films, years, genres, links) and the model, never the ratings: training,
first model included, happens in a worker process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

from bot.config import Settings
from bot.movienight.flow import Group
from bot.posters import Posters, PosterStore, Tmdb
from bot.private.chat import Chat
from bot.retrain import (
    Retrainer,
    catalogue_name,
    catalogue_source,
    run_in_worker,
    training_job,
)
from bot.service import MovieService
from bot.storage import Storage
from bot.storage.rekey import rekey
from bot.training_worker import train_first
from recsys import FactorModel
from recsys.data import RELEASES, Catalog, fetch, load_catalog
from recsys.elicit import elicitor_for

log = logging.getLogger(__name__)
RESOURCES_KEY = "moviebot"
# A model may lack a few of the catalogue's films (rated only in the holdout, or never), but
# one trained on another catalogue lacks most of them or knows films this one has not.
MIN_FILMS_COVERED = 0.5
MAX_FILMS_UNKNOWN = 0.05


class StartupError(RuntimeError):
    """The bot cannot start as configured; the message is one line naming the fix."""


@dataclass
class Resources:
    settings: Settings
    storage: Storage
    service: MovieService
    chat: Chat
    retrainer: Retrainer
    group: Group = field(init=False)  # movie nights in group chats, over the same service
    full_training: asyncio.Task[object] | None = None  # after a quick first model

    def __post_init__(self) -> None:
        self.group = Group(self.service)


def load_catalogue(settings: Settings) -> Catalog:
    """The films of CATALOGUE, fetching the release first when it is a name not yet here."""
    name = settings.catalogue
    if name in RELEASES and not (settings.data_dir / name).exists():
        log.info("%s is not in %s yet: fetching it", name, settings.data_dir)
        fetch(name, settings.data_dir, log=log.info, base_url=settings.movielens_url, progress=True)
    return load_catalog(name, settings.data_dir)


def check_model_matches(model: FactorModel, catalog: Catalog, settings: Settings) -> None:
    """StartupError when the model was trained on another catalogue than CATALOGUE."""
    trained_on = model.metadata.get("catalogue")
    configured = f"CATALOGUE={settings.catalogue}"
    if trained_on is not None:
        if trained_on != catalogue_name(settings):
            raise StartupError(
                _mismatch(settings, f"was trained on {trained_on}, not {configured}")
            )
        return
    # Older model files do not say: judge by the films they know.
    known = int(catalog.frame.index.isin(model.item_ids).sum())
    unknown = len(model.item_ids) - known
    if unknown > MAX_FILMS_UNKNOWN * len(model.item_ids):
        raise StartupError(_mismatch(settings, f"knows {unknown:,} films {configured} lacks"))
    if known < MIN_FILMS_COVERED * len(catalog):
        raise StartupError(
            _mismatch(settings, f"knows only {known:,} of the {len(catalog):,} in {configured}")
        )


def _mismatch(settings: Settings, what: str) -> str:
    return (
        f"MODEL_PATH={settings.model_path} {what}: set CATALOGUE to the model's catalogue, or "
        "MODEL_PATH to a new file (the bot then trains one for this catalogue)"
    )


def load_model(settings: Settings) -> FactorModel | None:
    """The model file, or None when there is none (or none readable) and one must be trained.

    An unreadable file (cut short, overwritten, from another program) is kept aside as
    ``<name>.corrupt``; the previous model that retraining kept (``<name>.previous``) takes
    its place if it is readable.
    """
    path: Path = settings.model_path
    if not path.exists():
        return None
    try:
        return FactorModel.load(path)
    except (ValueError, KeyError, OSError) as error:
        log.error("the model file is unreadable: %s", error)
    aside = path.with_name(path.name + ".corrupt")
    os.replace(path, aside)
    log.warning("kept the unreadable model file as %s", aside)
    previous = path.with_name(path.name + ".previous")
    if previous.exists():
        try:
            model = FactorModel.load(previous)
        except (ValueError, KeyError, OSError) as error:
            log.error("the previous model is unreadable too: %s", error)
        else:
            shutil.copy2(previous, path.with_name(path.name + ".incoming"))
            os.replace(path.with_name(path.name + ".incoming"), path)
            log.warning("serving the previous model from %s again", previous)
            return model
    return None


async def ensure_model(settings: Settings, catalog: Catalog) -> FactorModel:
    """The model to serve: the file's (checked against the catalogue), else a first one
    trained in a worker process, with its progress and ETA in the log."""
    model = await asyncio.to_thread(load_model, settings)
    if model is not None:
        check_model_matches(model, catalog, settings)
        return model
    path = settings.model_path
    log.info(
        "no model at %s: training a first one on %s in a worker process",
        path,
        catalogue_name(settings),
    )
    with tempfile.TemporaryDirectory(prefix="moviebot-first-") as workdir:
        job = training_job(settings, Path(workdir))
        result = await run_in_worker(
            train_first, job, _log_progress, timeout_s=settings.train_timeout_minutes * 60
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(job.candidate, path)  # a rename where both sit on one file system
    model = await asyncio.to_thread(FactorModel.load, path)
    kind = "a quick model" if result["quick"] else "the model"
    log.info(
        "saved %s (%s ratings, %.0f s) to %s",
        kind,
        f"{result['ratings']:,}",
        result["seconds"],
        path,
    )
    return model


async def _log_progress(stage: str) -> None:
    log.info("first model: %s", stage)


def single_threaded_maths() -> None:
    """Products in this process on one thread each (BLAS and torch).

    A handler's products are small: split across threads they gained nothing, and on a busy
    machine waking and spinning the threads cost more than the sums (bench/bot_latency.py on
    the 25M catalogue: Suggest for ten members p99 572 ms against 59 ms, /recommend 37 against
    7). Training runs in worker processes of its own, with their own threads.
    """
    torch.set_num_threads(1)
    threadpool_limits(1)


async def follow_catalogue(settings: Settings, catalog: Catalog) -> None:
    """Stored films re-keyed to CATALOGUE when it changed since the database was written."""
    name = catalogue_name(settings)
    rekeyed = await asyncio.to_thread(
        rekey, settings.database_path, catalog, name, catalogue_source(settings),
        settings.data_dir,
    )  # fmt: skip
    if rekeyed is not None:
        log.warning("%s", rekeyed.describe(name))


async def open_resources(settings: Settings) -> Resources:
    single_threaded_maths()
    catalog = await asyncio.to_thread(load_catalogue, settings)
    model = await ensure_model(settings, catalog)
    await asyncio.to_thread(elicitor_for, model)  # built once here, not on the first tap
    await follow_catalogue(settings, catalog)
    storage = await Storage.open(settings.database_path)
    abandoned = await storage.abandon_running_runs()
    if abandoned:
        log.warning("%d training run(s) were cut off by a restart; marked failed", abandoned)
    posters = await open_posters(settings, storage)
    service = MovieService(storage, model, catalog, posters=posters)
    retrainer = Retrainer(settings, storage, service)
    resources = Resources(settings, storage, service, Chat(service), retrainer)
    if model.metadata.get("quick"):
        log.info("serving a quick first model; training the full one in the background")
        resources.full_training = asyncio.create_task(
            retrainer.start("first", progress=_log_full_progress)
        )
    return resources


async def open_posters(settings: Settings, storage: Storage) -> Posters:
    """TMDB posters when TMDB_API_KEY is set (else none), with entries past six months gone."""
    key = settings.tmdb_api_key
    posters = Posters(PosterStore(storage), None if key is None else Tmdb(settings.tmdb_url, key))
    try:
        expired = await posters.store.expire()
    except sqlite3.Error as error:  # a read-only disk: reads still skip stale entries
        log.warning("could not delete posters cached over six months ago: %s", error)
    else:
        if expired:
            log.info("forgot %d poster(s) cached over six months ago", expired)
    return posters


async def _log_full_progress(stage: str) -> None:
    log.info("full model: %s", stage)


async def close_resources(resources: Resources) -> None:
    if resources.full_training is not None and not resources.full_training.done():
        resources.full_training.cancel()
    if resources.service.posters is not None:
        await resources.service.posters.close()
    await resources.storage.close()
