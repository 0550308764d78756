"""Model files that went bad: a corrupt serving file at start-up, a corrupt candidate at a
retraining swap. Neither ever serves, and neither replaces a good file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.retrain import Retrainer
from bot.runtime import ensure_model
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel
from recsys.data import Dataset, default_data_dir

TOKEN = "123456:" + "B" * 35
GARBAGE = b"\x00not a model, a file cut short by a full disk" * 10


def settings_for(model_path: Path) -> Settings:
    return load_settings(
        env_file=None,
        telegram_bot_token=TOKEN,
        model_path=model_path,
        data_dir=default_data_dir().resolve(),
        train_epochs=3,
        train_factors=8,
    )


def same_bytes(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


async def test_a_corrupt_model_gives_way_to_the_previous_one(
    trained: Path, movielens: Dataset, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(GARBAGE)
    shutil.copy2(trained, tmp_path / "model.safetensors.previous")
    model = await ensure_model(settings_for(path), movielens.catalog)
    assert model.metadata == FactorModel.load(trained).metadata
    assert same_bytes(path, trained), "the previous model is back in place"
    assert (tmp_path / "model.safetensors.corrupt").read_bytes() == GARBAGE
    assert "is unreadable" in caplog.text


async def test_a_corrupt_model_without_a_previous_one_is_set_aside_and_retrained(
    movielens: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(GARBAGE)
    model = await ensure_model(settings_for(path), movielens.catalog)
    assert model.item_factors.shape[1] == 8  # TRAIN_FACTORS: trained here, not loaded
    assert FactorModel.load(path).metadata == model.metadata
    assert (tmp_path / "model.safetensors.corrupt").read_bytes() == GARBAGE


async def test_a_corrupt_candidate_never_replaces_the_serving_model(
    trained: Path, model: FactorModel, movielens: Dataset, tmp_path: Path
) -> None:
    serving = tmp_path / "model.safetensors"
    shutil.copy2(trained, serving)
    candidate = tmp_path / "candidate.safetensors"
    candidate.write_bytes(GARBAGE)
    storage = await Storage.open(tmp_path / "db.sqlite3")
    try:
        service = MovieService(storage, model, movielens.catalog)
        retrainer = Retrainer(settings_for(serving), storage, service)
        with pytest.raises(ValueError, match="not a moviebot model file"):
            await retrainer._swap(candidate)
        assert service.model is model
    finally:
        await storage.close()
    assert same_bytes(serving, trained)
    assert not retrainer.previous_path.exists()
