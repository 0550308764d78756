"""A database that refuses writes (here: a real SQLite connection opened read-only) through the
real handlers: reads still answer, a rating tap is told nothing was saved, nothing changes,
and the same tap works once the database is writable again."""

from __future__ import annotations

from pathlib import Path

from offline import OfflineRequest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import load_settings
from bot.handlers.errors import NOT_SAVED
from bot.private.chat import Chat
from bot.retrain import Retrainer
from bot.runtime import RESOURCES_KEY, Resources
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel
from recsys.data import Dataset

TOKEN = "123456:" + "A" * 35
ADA = {"id": 4242, "is_bot": False, "first_name": "Ada", "language_code": "en"}
CHAT = {"id": 4242, "type": "private", "first_name": "Ada"}
CARD = {"message_id": 77, "date": 0, "chat": CHAT, "text": "Star Wars (1977)"}


async def run(
    storage: Storage, model: FactorModel, movielens: Dataset, payload: dict, tmp: Path
) -> OfflineRequest:
    """Handle one update with a fresh application over ``storage``; what it sent."""
    settings = load_settings(env_file=None, telegram_bot_token=TOKEN, model_path=tmp / "m")
    request = OfflineRequest()
    application: Application = build_application(settings, request=request)
    await application.initialize()
    service = MovieService(storage, model, movielens.catalog)
    retrainer = Retrainer(settings, storage, service)
    resources = Resources(settings, storage, service, Chat(service), retrainer)
    application.bot_data[RESOURCES_KEY] = resources
    await application.process_update(Update.de_json(payload, application.bot))
    await application.shutdown()
    return request


def tap(data: str, update_id: int) -> dict:
    query = {"id": str(update_id), "from": ADA, "chat_instance": "c", "data": data,
             "message": CARD}  # fmt: skip
    return {"update_id": update_id, "callback_query": query}


def command(text: str, update_id: int) -> dict:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    message = {"message_id": update_id, "date": 0, "chat": CHAT, "from": ADA, "text": text,
               "entities": entities}  # fmt: skip
    return {"update_id": update_id, "message": message}


async def test_a_read_only_database_refuses_politely_and_changes_nothing(
    model: FactorModel, movielens: Dataset, tmp_path: Path
) -> None:
    path = tmp_path / "bot.sqlite3"
    writable = await Storage.open(path)
    await writable.ensure_user(4242, "Ada", "en")
    await writable.rate(4242, 1, 3.0)
    await writable.close()

    read_only = await Storage.open(path, read_only=True)
    try:
        sent = await run(read_only, model, movielens, tap("r1:50:8", 1), tmp_path)
        (answer,) = sent.sent("answerCallbackQuery")
        assert answer["text"].startswith(NOT_SAVED) and answer["show_alert"] in (True, "true")
        assert sent.sent("editMessageText") == []
        assert [r.item_id for r in await read_only.ratings(4242)] == [1]

        sent = await run(read_only, model, movielens, command("/myratings", 2), tmp_path)
        (ratings,) = sent.sent("sendMessage")
        assert "Toy Story" in ratings["text"], "reads still answer"
    finally:
        await read_only.close()

    writable = await Storage.open(path)  # the cause went away
    try:
        sent = await run(writable, model, movielens, tap("r1:50:8", 3), tmp_path)
        assert sent.sent("answerCallbackQuery")[0]["text"] == "Saved 4★"
        assert {r.item_id: r.stars for r in await writable.ratings(4242)} == {1: 3.0, 50: 4.0}
    finally:
        await writable.close()
