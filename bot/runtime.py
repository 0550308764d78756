"""The bot's resources — database, model, catalogue, service — opened once and closed once.

``open_resources`` runs in PTB's ``post_init`` (and in the console); everything reaches the
handlers through one typed :class:`Resources` object in ``bot_data``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from bot.chat import Chat
from bot.config import Settings
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel, TrainConfig
from recsys.data import Dataset, fetch, load_dataset

log = logging.getLogger(__name__)
DEFAULT_DATASET = "ml-100k"
RESOURCES_KEY = "moviebot"


@dataclass
class Resources:
    settings: Settings
    storage: Storage
    service: MovieService
    chat: Chat


def load_catalogue_data(settings: Settings) -> Dataset:
    """The MovieLens release the bot serves, fetched first if it is the default and missing."""
    if not (settings.data_dir / DEFAULT_DATASET).exists():
        fetch(DEFAULT_DATASET, settings.data_dir, log=log.info)
    return load_dataset(DEFAULT_DATASET, settings.data_dir)


def ensure_model(settings: Settings, dataset: Dataset) -> FactorModel:
    """Load the model file; when there is none yet, train one (with a progress bar) and save it."""
    path: Path = settings.model_path
    if path.exists():
        return FactorModel.load(path)
    from recsys.cli import train_with_progress  # only needed on the very first start

    log.info("no model at %s yet: training one on %s (a few seconds)", path, dataset.name)
    model = train_with_progress(dataset, TrainConfig(seed=settings.train_seed))
    model.save(path)
    log.info("saved the new model to %s", path)
    return model


async def open_resources(settings: Settings) -> Resources:
    dataset = await asyncio.to_thread(load_catalogue_data, settings)
    model = await asyncio.to_thread(ensure_model, settings, dataset)
    storage = await Storage.open(settings.database_path)
    service = MovieService(storage, model, dataset.catalog)
    return Resources(settings, storage, service, Chat(service))


async def close_resources(resources: Resources) -> None:
    await resources.storage.close()
