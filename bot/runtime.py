"""The bot's resources — database, model, catalogue, service — opened once and closed once.

``open_resources`` runs in PTB's ``post_init`` (and in the console); everything reaches the
handlers through one typed :class:`Resources` object in ``bot_data``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.chat import Chat
from bot.config import Settings
from bot.group import Group
from bot.retrain import Retrainer, training_config
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel
from recsys.data import Dataset, fetch, load_dataset
from recsys.elicit import elicitor_for
from recsys.holdout import HOLDOUT_SHARE, split_holdout

log = logging.getLogger(__name__)
DEFAULT_DATASET = "ml-100k"
RESOURCES_KEY = "moviebot"


@dataclass
class Resources:
    settings: Settings
    storage: Storage
    service: MovieService
    chat: Chat
    retrainer: Retrainer
    group: Group = field(init=False)  # movie nights in group chats, over the same service

    def __post_init__(self) -> None:
        self.group = Group(self.service)


def load_catalogue_data(settings: Settings) -> Dataset:
    """The MovieLens release the bot serves, fetched first if it is the default and missing."""
    if not (settings.data_dir / DEFAULT_DATASET).exists():
        fetch(DEFAULT_DATASET, settings.data_dir, log=log.info)
    return load_dataset(DEFAULT_DATASET, settings.data_dir)


def ensure_model(settings: Settings, dataset: Dataset) -> FactorModel:
    """Load the model file; when there is none yet, train one (with a progress bar) and save it.

    An unreadable file (cut short, overwritten, from another program) is kept aside as
    ``<name>.corrupt``; the previous model that retraining kept (``<name>.previous``) takes
    its place if it is readable, else a new model is trained as on the first start.
    """
    path: Path = settings.model_path
    if path.exists():
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
    from recsys.cli import train_with_progress  # only needed when there is no model

    log.info("no model at %s: training one on %s (a few seconds)", path, dataset.name)
    # Leave the fixed holdout out, so that retraining can compare later models with this one.
    train, _ = split_holdout(dataset.ratings)
    model = train_with_progress(replace(dataset, ratings=train), training_config(settings))
    model = model.with_metadata(holdout_share=HOLDOUT_SHARE)
    model.save(path)
    log.info("saved the new model to %s", path)
    return model


async def open_resources(settings: Settings) -> Resources:
    dataset = await asyncio.to_thread(load_catalogue_data, settings)
    model = await asyncio.to_thread(ensure_model, settings, dataset)
    await asyncio.to_thread(elicitor_for, model)  # built once here, not on the first tap
    storage = await Storage.open(settings.database_path)
    abandoned = await storage.abandon_running_runs()
    if abandoned:
        log.warning("%d training run(s) were cut off by a restart; marked failed", abandoned)
    service = MovieService(storage, model, dataset.catalog)
    return Resources(
        settings, storage, service, Chat(service), Retrainer(settings, storage, service)
    )


async def close_resources(resources: Resources) -> None:
    await resources.storage.close()
