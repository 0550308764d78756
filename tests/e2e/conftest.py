"""End to end: the real bot process, real HTTP to a fake Bot API on 127.0.0.1, a real SQLite
file, a real model trained on real MovieLens 100k."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botprocess import BotProcess

from recsys.data import default_data_dir
from tests.fakebotapi import FakeBotApi

STARTUP_S = 60.0  # importing torch and loading the model on a busy 2-core machine
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder runs the real bot process: mark it ``e2e``, so that
    ``pytest -m "not e2e"`` leaves them out."""
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def model_file(ml100k_model_file: Path) -> Path:
    """The session's model file (tests/conftest.py); the bot only ever reads it."""
    return ml100k_model_file


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
