"""The aiohttp transport over real HTTP to the fake Bot API: requests, uploads, timeouts, and
which calls are repeated after a server error."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bot.transport import AiohttpRequest
from tests.fakebotapi import FakeBotApi, Fault

ALICE = 42


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        fake.user(ALICE, "Alice")
        yield fake


def make_bot(server: FakeBotApi, read_timeout: float = 5.0) -> Bot:
    return Bot(
        server.token,
        base_url=server.base_url,
        request=AiohttpRequest(8, read_timeout=read_timeout),
    )


async def test_messages_buttons_and_uploads_arrive_whole(server: FakeBotApi) -> None:
    async with make_bot(server) as bot:
        assert (await bot.get_me()).username == "moviebot_test_bot"
        sent = await bot.send_message(ALICE, "<b>Héllo</b> & ☃", parse_mode="HTML")
        assert sent.text == "Héllo & ☃"
        content = bytes(range(256)) * 40
        document = await bot.send_document(ALICE, content, filename="r.csv", caption="yours")
    stored = server.state.files[document.document.file_id]
    assert (stored.data, stored.filename) == (content, "r.csv")
    assert server.chat(ALICE).messages[-1].caption == "yours"


async def test_requests_are_json_and_answers_are_shown_once_decoded(server: FakeBotApi) -> None:
    answers: list[dict[str, Any]] = []
    request = AiohttpRequest(1, on_payload=answers.append)
    async with Bot(server.token, base_url=server.base_url, request=request) as bot:
        answers.clear()  # get_me, from initialising
        await bot.send_message(ALICE, "hi", reply_markup=InlineKeyboardMarkup.from_button(
            InlineKeyboardButton("★5", callback_data="r:1:5")))  # fmt: skip
        with pytest.raises(BadRequest):
            await bot.send_message(ALICE, "")
    [request_made] = server.calls("sendMessage")[:1]
    assert request_made.content_type == "application/json"
    assert answers[0]["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "★5"
    assert answers[1]["ok"] is False


def test_answers_that_are_not_utf8_are_repaired_and_broken_ones_refused() -> None:
    request = AiohttpRequest(1)
    assert request.parse_json_payload('{"ok": true, "result": "Amélie"}'.encode()) == {
        "ok": True,
        "result": "Amélie",
    }
    repaired = request.parse_json_payload(b'{"ok": true, "result": "Am\xe9lie"}')  # Latin-1
    assert repaired == {"ok": True, "result": "Am\ufffdlie"}
    with pytest.raises(TelegramError, match="Invalid server response"):
        request.parse_json_payload(b'{"ok": tru')
    with pytest.raises(TelegramError, match="Invalid server response"):
        request.parse_json_payload(b"404: Not Found")  # a proxy's page, not the Bot API


def test_a_lone_surrogate_becomes_text_the_inbox_can_store() -> None:
    answer = AiohttpRequest(1).parse_json_payload(b'{"ok": true, "result": "a\\ud800b"}')
    assert answer == {"ok": True, "result": "a?b"}
    assert orjson.dumps(answer)  # the inbox writes updates with orjson; "\ud800" it refuses


async def test_a_safe_call_is_repeated_after_server_errors(server: FakeBotApi) -> None:
    async with make_bot(server) as bot:
        sent = await bot.send_message(ALICE, "one")
        server.inject("editMessageText", Fault.server_error(), Fault(502, "Bad Gateway"))
        edited = await bot.edit_message_text("two", ALICE, sent.message_id)
    assert edited.text == "two"
    assert len(server.calls("editMessageText")) == 3


async def test_sending_is_not_repeated_after_a_server_error(server: FakeBotApi) -> None:
    async with make_bot(server) as bot:
        server.inject("sendMessage", Fault.server_error())
        with pytest.raises(NetworkError):
            await bot.send_message(ALICE, "once")
    assert len(server.calls("sendMessage")) == 1
    assert server.chat(ALICE).messages == []


async def test_a_slow_server_times_out_and_a_safe_call_recovers(server: FakeBotApi) -> None:
    async with make_bot(server, read_timeout=0.3) as bot:
        sent = await bot.send_message(ALICE, "one")
        server.inject("sendMessage", Fault.slow(1.0))
        with pytest.raises(TimedOut):
            await bot.send_message(ALICE, "late")
        server.inject("editMessageText", Fault.slow(1.0))
        edited = await bot.edit_message_text("two", ALICE, sent.message_id)
    assert edited.text == "two"


async def test_errors_never_quote_the_url_with_the_token() -> None:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
    bot = Bot(token, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest(1))
    with pytest.raises(NetworkError) as caught:
        await bot.initialize()  # getMe: tried once (bot/reach.py repeats it)
    assert token not in str(caught.value)
    assert "aiohttp.ClientConnectorError" in str(caught.value)
    await bot.shutdown()
