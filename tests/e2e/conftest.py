"""End to end: the real bot process, real HTTP to a fake Bot API on 127.0.0.1, a real SQLite
file, a real model trained on real MovieLens 100k."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botprocess import BotProcess

from recsys import TrainConfig, Trainer
from recsys.data import Dataset, default_data_dir
from tests.fakebotapi import FakeBotApi

QUICK = TrainConfig(factors=16, rank_factors=32, epochs=12, rank_sweeps=6, neighbours=20)
STARTUP_S = 60.0  # importing torch and loading the model on a busy 2-core machine


@pytest.fixture(scope="session")
def model_file(movielens: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("e2e-model") / "model.safetensors"
    Trainer(QUICK).fit(movielens.ratings).save(path)
    return path


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake


@pytest.fixture
def bot_env(server: FakeBotApi, model_file: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": server.token,
        "TELEGRAM_API_BASE_URL": server.base_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        "MODEL_PATH": str(model_file),
        "DATA_DIR": str(default_data_dir().resolve()),
        "ADMIN_USER_IDS": "7",
        "LOG_LEVEL": "INFO",
    }


@pytest.fixture
async def bot(bot_env: dict[str, str], tmp_path: Path) -> AsyncIterator[BotProcess]:
    process = BotProcess(tmp_path, bot_env)
    await process.start()
    yield process
    code = await process.stop()
    log = process.log()
    assert bot_env["TELEGRAM_BOT_TOKEN"] not in log, "the token leaked into the log"
    assert code in (0, -9), f"the bot exited with {code}:\n{log[-3000:]}"
