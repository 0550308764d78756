"""Handlers through ``Application.process_update`` with an offline request class."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from offline import OfflineRequest
from telegram import Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import load_settings
from bot.private.chat import Chat
from bot.retrain import Retrainer
from bot.runtime import RESOURCES_KEY, Resources
from bot.service import MovieService

TOKEN = "123456:" + "A" * 35
USER = {"id": 4242, "is_bot": False, "first_name": "Ada", "language_code": "en"}
CHAT = {"id": 4242, "type": "private", "first_name": "Ada"}


@pytest.fixture
async def app(service: MovieService, tmp_path) -> AsyncIterator[tuple[Application, OfflineRequest]]:
    settings = load_settings(
        env_file=None, telegram_bot_token=TOKEN, database_path=tmp_path / "unused.sqlite3"
    )
    request = OfflineRequest()
    application = build_application(settings, request=request)
    await application.initialize()
    retrainer = Retrainer(settings, service.storage, service)
    resources = Resources(settings, service.storage, service, Chat(service), retrainer)
    application.bot_data[RESOURCES_KEY] = resources
    yield application, request
    await application.shutdown()


def message_update(text: str, update_id: int = 1) -> dict[str, Any]:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    message = {"message_id": update_id, "date": 0, "chat": CHAT, "from": USER, "text": text}
    if text.startswith("/"):
        message["entities"] = entities
    return {"update_id": update_id, "message": message}


def press(data: str, message: dict[str, Any], update_id: int = 50) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": USER,
            "chat_instance": "c",
            "data": data,
            "message": message,
        },
    }


async def process(application: Application, payload: dict[str, Any]) -> None:
    await application.process_update(Update.de_json(payload, application.bot))


def keyboard(params: dict[str, Any]) -> dict[str, str]:
    markup = params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def test_start_sends_welcome_and_a_card_that_a_tap_edits(app) -> None:
    application, request = app
    await process(application, message_update("/start"))
    welcome, card = request.sent("sendMessage")
    assert "Ada" in welcome["text"] and welcome["parse_mode"] == "HTML"
    buttons = keyboard(card)
    message = {
        "message_id": 77,
        "date": 0,
        "chat": CHAT,
        "text": card["text"],
        "reply_markup": card["reply_markup"],
    }
    await process(application, press(buttons["★4"], message))
    [answer] = request.sent("answerCallbackQuery")
    assert answer["text"] == "Saved 4★"
    [edit] = request.sent("editMessageText")
    assert edit["message_id"] == 77 and "1 rated" in edit["text"]
    assert await application.bot_data[RESOURCES_KEY].service.rating_count(4242) == 1


async def test_every_callback_is_answered_even_forged_ones(app) -> None:
    application, request = app
    message = {"message_id": 5, "date": 0, "chat": CHAT, "text": "old"}
    await process(application, press("r1:50:99", message))
    [answer] = request.sent("answerCallbackQuery")
    assert answer["text"] == "This button has expired."
    assert request.sent("editMessageText") == []


async def test_unknown_command_and_non_text(app) -> None:
    application, request = app
    await process(application, message_update("/nope"))
    [reply] = request.sent("sendMessage")
    assert "/help" in reply["text"]
    sticker = message_update("x", 3)
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "f", "file_unique_id": "u", "width": 1, "height": 1,
        "is_animated": False, "is_video": False, "type": "regular",
    }  # fmt: skip
    await process(application, sticker)
    assert "only understand text" in request.sent("sendMessage")[-1]["text"]


async def test_export_sends_a_document(app) -> None:
    application, request = app
    service = application.bot_data[RESOURCES_KEY].service
    await service.register(4242, "Ada", "en")
    await service.rate(4242, 50, 5.0)
    await process(application, message_update("/export"))
    [document] = request.sent("sendDocument")
    assert document["caption"] == "Your ratings of 1 film, as a CSV file (/import reads it back)."


async def test_admin_commands_refuse_everyone_else(app) -> None:
    application, request = app
    for command in ("/retrain", "/rollback", "/stats"):
        await process(application, message_update(command))
    replies = [params["text"] for params in request.sent("sendMessage")]
    assert replies == ["This command is for admins."] * 3
    assert await application.bot_data[RESOURCES_KEY].storage.runs() == []


async def test_stats_for_an_admin_sends_numbers_and_two_pictures(app) -> None:
    application, request = app
    resources = application.bot_data[RESOURCES_KEY]
    resources.settings = load_settings(
        env_file=None, telegram_bot_token=TOKEN, admin_user_ids=str(USER["id"])
    )
    await resources.service.register(USER["id"], "Ada", "en")
    await resources.service.rate(USER["id"], 50, 5.0)
    await process(application, message_update("/stats"))
    [summary] = request.sent("sendMessage")
    assert "Users: 1; ratings: 1; today: 1" in summary["text"]
    photos = request.sent("sendPhoto")
    assert [p["caption"] for p in photos] == [
        "Learning curve of the serving model",
        "Bot users' ratings by stars",
    ]
