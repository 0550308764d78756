"""Polled updates: the inbox stores a button press whole, PTB gets it without the keyboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from telegram import Bot, Update

from bot.inbox import Inbox
from bot.polling import ALLOWED_UPDATES, on_polled
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


def test_error_answers_pass_untouched() -> None:
    inbox = Inbox(max_concurrent_updates=1)
    answer = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    before = json.dumps(answer)
    on_polled(inbox)(answer)
    assert json.dumps(answer) == before


def typed(update_id: Any, text: str = "/help", **changes: Any) -> dict[str, Any]:
    message = {**press(0)["callback_query"]["message"], "text": text, **changes}
    message.pop("reply_markup")
    return {"update_id": update_id, "message": {k: v for k, v in message.items() if v is not None}}


def test_updates_ptb_cannot_build_or_did_not_ask_for_are_emptied_to_their_id() -> None:
    business = {"update_id": 8, "business_message": typed(8, "/retrain")["message"]}
    answer = {
        "ok": True,
        "result": [
            typed(1),
            typed("2"),  # a numeric string: still an id
            typed("two"),  # no usable id: dropped
            typed(3, date=None),  # PTB's Message needs a date
            typed(4, chat={"id": "x", "type": "private"}),
            {"update_id": 5, "callback_query": "x"},
            {**press(6), "callback_query": {**press(6)["callback_query"], "from": None}},
            {"update_id": 7, "poll": {"id": "p"}},
            business,  # not asked for: a relayed admin command must not act
            {"update_id": 9},
            None,
            press(10),
        ],
    }
    on_polled(Inbox(max_concurrent_updates=1))(answer)
    kept = answer["result"]
    assert [u["update_id"] for u in kept] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert kept[0]["message"]["text"] == "/help" and kept[1]["message"]["text"] == "/help"
    assert kept[-1]["callback_query"]["data"] == "r:50:5"
    assert all(u == {"update_id": u["update_id"]} for u in kept[2:9])
    bot = Bot(TOKEN)
    assert all(Update.de_json(u, bot) is not None for u in kept)  # PTB builds every one


def test_a_malformed_update_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    take = on_polled(Inbox(max_concurrent_updates=1))
    for update_id in range(1, 4):
        take({"ok": True, "result": [typed(update_id, date=None)]})
    assert [r.getMessage() for r in caplog.records] == [
        "the Bot API sent a malformed message update; skipped it (said once)"
    ]


def test_inline_queries_are_asked_for_and_kept_when_well_formed() -> None:
    assert "inline_query" in ALLOWED_UPDATES
    user = {"id": 5, "is_bot": False, "first_name": "Eve"}
    good = {"id": "77", "from": user, "query": "heat", "offset": "", "chat_type": "sender"}
    answer = {
        "ok": True,
        "result": [
            {"update_id": 1, "inline_query": good},
            {"update_id": 2, "inline_query": {**good, "query": None}},
        ],
    }
    on_polled(Inbox(max_concurrent_updates=1))(answer)
    kept = answer["result"]
    assert kept[0]["inline_query"]["query"] == "heat"
    assert kept[1] == {"update_id": 2}
    built = Update.de_json(kept[0], Bot(TOKEN))
    assert built is not None and built.inline_query is not None
