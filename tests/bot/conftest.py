"""A real model trained on real MovieLens 100k (small and quick), and a service over a real
SQLite file: the bot's tests use the real parts, never mocks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.private.chat import Chat
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel
from recsys.data import Dataset


@pytest.fixture(scope="session")
def trained(ml100k_model_file: Path) -> Path:
    """The model file trained once per test session (tests/conftest.py)."""
    return ml100k_model_file


@pytest.fixture(scope="session")
def model(trained: Path) -> FactorModel:
    return FactorModel.load(trained)


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    store = await Storage.open(tmp_path / "bot.sqlite3")
    yield store
    await store.close()


@pytest.fixture
def service(storage: Storage, model: FactorModel, movielens: Dataset) -> MovieService:
    return MovieService(storage, model, movielens.catalog)


@pytest.fixture
def chat(service: MovieService) -> Chat:
    return Chat(service)
