"""Polled updates: the inbox stores a button press whole, PTB gets it without the keyboard."""

from __future__ import annotations

import json
from typing import Any

from telegram import Bot, Update

from bot.inbox import Inbox
from bot.polling import on_polled
from bot.storage import Storage

ALICE = 1001
TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
KEYBOARD = {"inline_keyboard": [[{"text": "★5", "callback_data": "r:50:5"}]]}


def press(update_id: int) -> dict[str, Any]:
    person = {"id": ALICE, "is_bot": False, "first_name": "Alice"}
    message = {
        "message_id": 7,
        "date": 1_700_000_000,
        "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
        "text": "Star Wars (1977)",
        "reply_markup": KEYBOARD,
    }
    query = {"id": "q1", "from": person, "message": message, "chat_instance": "1", "data": "r:50:5"}
    return {"update_id": update_id, "callback_query": query}


async def test_the_inbox_keeps_the_keyboard_ptb_is_spared(storage: Storage) -> None:
    inbox = Inbox(max_concurrent_updates=1)
    bot = Bot(TOKEN)
    await inbox.attach(storage, bot)
    text = {"update_id": 12, "message": {**press(12)["callback_query"]["message"], "text": "hi"}}
    answer = {"ok": True, "result": [press(11), text]}
    on_polled(inbox)(answer)

    pressed, typed = (Update.de_json(u, bot) for u in answer["result"])
    assert pressed is not None and pressed.callback_query is not None
    message = pressed.callback_query.message
    assert message is not None and message.reply_markup is None
    assert pressed.callback_query.data == "r:50:5" and message.message_id == 7
    assert typed is not None and typed.message is not None
    assert typed.message.reply_markup is not None  # only pressed keyboards go

    await inbox.queue.put(pressed)  # stores its whole batch
    stored = dict(await storage.inbox.pending())
    assert sorted(stored) == [11, 12]
    assert json.loads(stored[11])["callback_query"]["message"]["reply_markup"] == KEYBOARD


def test_error_answers_and_odd_updates_pass_untouched() -> None:
    inbox = Inbox(max_concurrent_updates=1)
    for answer in (
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
        {"ok": True, "result": [None, 3, {"update_id": 1, "callback_query": "x"}]},
    ):
        before = json.dumps(answer)
        on_polled(inbox)(answer)
        assert json.dumps(answer) == before
