"""The fake Bot API against a real python-telegram-bot Application, and over raw HTTP."""

from __future__ import annotations

import asyncio
import io
import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from tests.fakebotapi import FakeBotApi, FakeMessage, Fault

ALICE = 42
PNG_1x2 = (
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (1).to_bytes(4, "big") + (2).to_bytes(4, "big")
)

# -- a throwaway bot ---------------------------------------------------------------------------


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offer two buttons."""
    assert update.effective_message is not None
    keyboard = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Like", callback_data="like")],
            [InlineKeyboardButton("Skip", callback_data="skip")],
        ]
    )
    await update.effective_message.reply_text("Pick one", reply_markup=keyboard)


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Repeat the text, counting calls per text."""
    message = update.effective_message
    assert message is not None and message.text is not None
    context.bot_data.setdefault("seen", []).append(message.text)
    await message.reply_text(f"echo: {message.text}")


async def chose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the query, then replace the keyboard message."""
    query = update.callback_query
    assert query is not None
    await query.answer("Noted")
    await query.edit_message_text(f"You chose {query.data}")


async def stale(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anything else: a polite answer that changes nothing."""
    query = update.callback_query
    assert query is not None
    context.bot_data.setdefault("stale", []).append(query.data)
    await query.answer("This button has expired", show_alert=True)


async def voted(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.poll_answer is not None
    context.bot_data.setdefault("votes", []).append(tuple(update.poll_answer.option_ids))


async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.my_chat_member is not None
    context.bot_data.setdefault("status", []).append(update.my_chat_member.new_chat_member.status)


@pytest.fixture
async def server() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as fake:
        yield fake
    assert fake.internal_errors == []


@pytest.fixture
async def app(server: FakeBotApi) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The bot, polling the fake with PTB's own Updater (run_polling without the signals)."""
    application = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(chose, pattern=r"^(like|skip)\Z"))
    application.add_handler(CallbackQueryHandler(stale))
    application.add_handler(PollAnswerHandler(voted))
    application.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(timeout=timedelta(seconds=1))
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


def said(text: str) -> str:
    """A pytest.raises pattern for an API error text: PTB strips "Bad Request: " and
    capitalises the rest."""
    return f"(?i){re.escape(text)}"


async def call(
    server: FakeBotApi, method: str, *, token: str | None = None, **request: Any
) -> tuple[int, dict[str, Any]]:
    """One raw HTTP request; ``request`` goes to aiohttp (json=, data=, params=)."""
    url = f"{server.base_url}{token or server.token}/{method}"
    async with aiohttp.ClientSession() as session, session.post(url, **request) as response:
        return response.status, await response.json()


# -- messages and buttons ----------------------------------------------------------------------


async def test_a_message_round_trip(server: FakeBotApi, app: Application) -> None:
    alice = server.user(ALICE, "Alice")
    sent = await alice.send("hello there")
    reply = await alice.wait_for_message()
    assert reply.text == "echo: hello there"
    assert alice.transcript == [sent, reply]
    # What PTB 22.8 puts on the wire: form fields, every value a string.
    (request,) = server.calls("sendMessage")
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.params["chat_id"] == str(ALICE)


async def test_a_button_press_is_answered_and_edits_the_message(
    server: FakeBotApi, app: Application
) -> None:
    alice = server.user(ALICE, "Alice")
    command = await alice.send("/start")
    assert command.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    menu = await alice.wait_for_message(lambda m: m.text == "Pick one")
    assert menu.button_texts == ["Like", "Skip"]

    answer = await alice.press(menu, "Skip")
    assert (answer.text, answer.show_alert) == ("Noted", False)
    await alice.wait_for_edit(menu, lambda m: m.text == "You chose skip")
    assert [revision.text for revision in menu.edits] == ["Pick one"]
    assert menu.edits[0].reply_markup is not None
    assert menu.reply_markup is None  # the edit did not repeat the keyboard
    with pytest.raises(LookupError, match=said("no button 'Like'")):
        await alice.press(menu, "Like")


async def test_forged_callback_data_reaches_the_bot_and_a_query_is_answered_once(
    server: FakeBotApi, app: Application
) -> None:
    alice = server.user(ALICE, "Alice")
    await alice.send("/start")
    menu = await alice.wait_for_message()
    answer = await alice.press_data(menu, "r1:99999999999:9")
    assert (answer.text, answer.show_alert) == ("This button has expired", True)
    assert app.bot_data["stale"] == ["r1:99999999999:9"]
    (query_id,) = server.state.callback_queries
    with pytest.raises(BadRequest, match=said("query is too old")):
        await app.bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=said("query is too old")):
        await app.bot.answer_callback_query("123")


async def test_each_update_is_delivered_exactly_once(server: FakeBotApi, app: Application) -> None:
    alice = server.user(ALICE, "Alice")
    texts = [f"message {n}" for n in range(5)]
    for text in texts:
        await alice.send(text)
    for text in texts:
        reply = await alice.wait_for_message()
        assert reply.text == f"echo: {text}"
    await server.wait_for_poll()
    await server.wait_for_poll()  # the one after confirms the last batch
    assert app.bot_data["seen"] == texts
    assert set(server.state.deliveries.values()) == {1}
    assert server.state.pending == []


async def test_group_chats(server: FakeBotApi, app: Application) -> None:
    alice = server.user(ALICE, "Alice")
    group = server.group(-100123, "Film club")
    await group.add_bot(by=alice)
    await alice.send("/start@moviebot_test_bot", chat=group)
    menu = await alice.wait_for_message(chat=group)
    assert menu.chat is group.chat
    assert menu.reply_to is not None and menu.reply_to.text == "/start@moviebot_test_bot"
    assert menu.button_texts == ["Like", "Skip"]
    await server.wait_until(lambda: app.bot_data.get("status") == ["member"])
    assert alice.chat.messages == []


# -- limits and errors -------------------------------------------------------------------------


async def test_text_limits(server: FakeBotApi, app: Application) -> None:
    server.user(ALICE, "Alice")
    bot = app.bot
    assert (await bot.send_message(ALICE, "x" * 4096)).text == "x" * 4096
    with pytest.raises(BadRequest, match=said("message is too long")):
        await bot.send_message(ALICE, "x" * 4097)
    # HTML: the limit applies after tags and entities are parsed.
    html = await bot.send_message(ALICE, "<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")
    assert html.text == "<" * 4096
    assert html.entities[0].type == "bold"
    with pytest.raises(BadRequest, match=said("message is too long")):
        await bot.send_message(ALICE, "<i>" + "y" * 4097 + "</i>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=said("message text is empty")):
        await bot.send_message(ALICE, "  \n ")


@pytest.mark.parametrize(
    "text",
    [
        "<b>unclosed",
        "a < b",
        "<b><i>crossed</b></i>",
        "</b>",
        "<blink>x</blink>",
        '<a name="x">y</a>',
    ],
)
async def test_malformed_html_is_refused(server: FakeBotApi, app: Application, text: str) -> None:
    server.user(ALICE, "Alice")
    with pytest.raises(BadRequest, match=said("can't parse entities")):
        await app.bot.send_message(ALICE, text, parse_mode="HTML")


async def test_html_entities_and_offsets(server: FakeBotApi, app: Application) -> None:
    server.user(ALICE, "Alice")
    sent = await app.bot.send_message(
        ALICE,
        '🎬 <b>Heat</b> &amp; <a href="https://example.org/">more</a> &#33;',
        parse_mode="HTML",
    )
    assert sent.text == "🎬 Heat & more !"
    bold, link = sent.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 3, 4)  # 🎬 is two UTF-16 units
    assert (link.type, link.url) == ("text_link", "https://example.org/")
    assert sent.text_html.startswith("🎬 <b>Heat</b>")


async def test_callback_data_limits(server: FakeBotApi, app: Application) -> None:
    server.user(ALICE, "Alice")

    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data=data)]])

    await app.bot.send_message(ALICE, "fits", reply_markup=keyboard("d" * 64))
    for data in ("d" * 65, "é" * 33):  # 66 bytes of UTF-8 in 33 characters
        with pytest.raises(BadRequest, match=said("BUTTON_DATA_INVALID")):
            await app.bot.send_message(ALICE, "too long", reply_markup=keyboard(data))
    with pytest.raises(BadRequest, match=said("text buttons are unallowed")):
        await app.bot.send_message(
            ALICE, "no action", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("?")]])
        )


async def test_edit_and_delete_errors(server: FakeBotApi, app: Application) -> None:
    alice = server.user(ALICE, "Alice")
    bot = app.bot
    sent = await bot.send_message(ALICE, "one")
    with pytest.raises(BadRequest, match=said("message is not modified")):
        await bot.edit_message_text("one", ALICE, sent.message_id)
    await bot.edit_message_text("two", ALICE, sent.message_id)
    with pytest.raises(BadRequest, match=said("message is not modified")):
        await bot.edit_message_reply_markup(ALICE, sent.message_id)
    with pytest.raises(BadRequest, match=said("message to edit not found")):
        await bot.edit_message_text("x", ALICE, 999)
    own = await alice.send("mine")
    with pytest.raises(BadRequest, match=said("message can't be edited")):
        await bot.edit_message_text("x", ALICE, own.message_id)
    assert await bot.delete_message(ALICE, sent.message_id)
    with pytest.raises(BadRequest, match=said("message to delete not found")):
        await bot.delete_message(ALICE, sent.message_id)
    with pytest.raises(BadRequest, match=said("message to edit not found")):
        await bot.edit_message_text("three", ALICE, sent.message_id)
    with pytest.raises(BadRequest, match=said("chat not found")):
        await bot.send_message(7, "who?")


async def test_a_blocked_user_gives_forbidden(server: FakeBotApi, app: Application) -> None:
    alice = server.user(ALICE, "Alice")
    alice.block_bot()
    with pytest.raises(Forbidden, match=said("bot was blocked by the user")):
        await app.bot.send_message(ALICE, "anyone there?")
    with pytest.raises(Forbidden):
        await app.bot.send_chat_action(ALICE, "typing")
    await server.wait_until(lambda: app.bot_data.get("status") == ["kicked"])
    alice.unblock_bot()
    await app.bot.send_message(ALICE, "welcome back")
    assert [m.text for m in alice.chat.bot_messages] == ["welcome back"]


async def test_injected_faults(
    server: FakeBotApi, app: Application, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.user(ALICE, "Alice")
    # Without PTB_TIMEDELTA, PTB 22.8 emits a PTBDeprecationWarning while building RetryAfter,
    # which filterwarnings=error turns into the exception instead of RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    server.inject("sendMessage", Fault.flood(retry_after=3), Fault.server_error(), Fault.slow(0.2))
    with pytest.raises(RetryAfter) as flood:
        await app.bot.send_message(ALICE, "a")
    assert flood.value.retry_after == timedelta(seconds=3)
    with pytest.raises(NetworkError, match=said("Internal Server Error")):
        await app.bot.send_message(ALICE, "b")
    started = time.monotonic()
    await app.bot.send_message(ALICE, "c")
    assert time.monotonic() - started >= 0.2
    await app.bot.send_message(ALICE, "d")
    assert [m.text for m in server.chat(ALICE).bot_messages] == ["c", "d"]


# -- files, polls, chats, commands --------------------------------------------------------------


async def test_documents_and_photos_arrive_byte_for_byte(
    server: FakeBotApi, app: Application
) -> None:
    alice = server.user(ALICE, "Alice")
    payload = b"item_id,stars\n1,4.5\n" + bytes(range(256))
    sent = await app.bot.send_document(
        ALICE,
        io.BytesIO(payload),
        filename="ratings.csv",
        caption="<b>Your</b> ratings",
        parse_mode="HTML",
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("ratings.csv", len(payload))
    stored = alice.chat.bot_messages[-1]
    assert stored.document is not None and stored.document.data == payload
    assert stored.caption == "Your ratings"
    (request,) = server.calls("sendDocument")
    assert request.content_type == "multipart/form-data"
    assert request.files["document"].data == payload

    again = await app.bot.send_document(ALICE, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id

    photo = await app.bot.send_photo(ALICE, io.BytesIO(PNG_1x2 + b"rest"), filename="plot.png")
    assert (photo.photo[-1].width, photo.photo[-1].height) == (1, 2)
    with pytest.raises(BadRequest, match=said("wrong file identifier")):
        await app.bot.send_document(ALICE, "no-such-file")


async def test_polls(server: FakeBotApi, app: Application) -> None:
    alice = server.user(ALICE, "Alice")
    group = server.group(-200, "Club")
    sent = await app.bot.send_poll(
        group.id, "Tonight?", ["Heat", "Alien", "Up"], is_anonymous=False
    )
    poll_message = group.messages[-1]
    await alice.vote(poll_message, [1])
    await server.wait_until(lambda: app.bot_data.get("votes") == [(1,)])
    stopped = await app.bot.stop_poll(group.id, sent.message_id)
    assert stopped.is_closed
    assert [option.voter_count for option in stopped.options] == [0, 1, 0]
    with pytest.raises(BadRequest, match=said("poll has already been closed")):
        await app.bot.stop_poll(group.id, sent.message_id)


async def test_chat_info_actions_and_commands(server: FakeBotApi, app: Application) -> None:
    server.user(ALICE, "Alice", username="alice")
    chat = await app.bot.get_chat(ALICE)
    assert (chat.id, chat.type, chat.first_name, chat.username) == (
        ALICE,
        "private",
        "Alice",
        "alice",
    )
    assert (await app.bot.get_chat("@alice")).id == ALICE

    await app.bot.send_chat_action(ALICE, "upload_document")
    assert server.chat(ALICE).actions == ["upload_document"]
    with pytest.raises(BadRequest, match=said("wrong parameter action")):
        await app.bot.send_chat_action(ALICE, "dancing")

    await app.bot.set_my_commands([BotCommand("start", "Start rating films")])
    await app.bot.set_my_commands(
        [BotCommand("stats", "Admin only")], scope=BotCommandScopeChat(ALICE)
    )
    assert [c.command for c in await app.bot.get_my_commands()] == ["start"]
    assert [c.command for c in await app.bot.get_my_commands(scope=BotCommandScopeChat(ALICE))] == [
        "stats"
    ]
    await app.bot.delete_my_commands()
    assert await app.bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match=said("BOT_COMMAND_INVALID")):
        await app.bot.set_my_commands([BotCommand("Bad-Command", "x")])


async def test_webhook_blocks_get_updates(server: FakeBotApi) -> None:
    application = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
    async with application:
        bot = application.bot
        with pytest.raises(BadRequest, match=said("HTTPS URL")):
            await bot.set_webhook("http://insecure.example.org/hook")
        assert await bot.set_webhook("https://bot.example.org/hook", secret_token="s3cret")
        info = await bot.get_webhook_info()
        assert info.url == "https://bot.example.org/hook"
        assert server.webhook is not None and server.webhook["secret_token"] == "s3cret"
        with pytest.raises(Conflict, match=said("webhook is active")):
            await bot.get_updates()
        assert await bot.delete_webhook()
        assert await bot.get_updates() == ()
        assert await bot.close()
        assert await bot.log_out()


async def test_a_wrong_token_is_refused(server: FakeBotApi) -> None:
    application = ApplicationBuilder().token("999:" + "W" * 35).base_url(server.base_url).build()
    with pytest.raises(InvalidToken):
        await application.initialize()
    # initialize() failed half-way, so Application.shutdown() would skip the bot's HTTP client.
    await application.bot.shutdown()
    assert server.requests == []


# -- the wire, without PTB ---------------------------------------------------------------------


async def test_get_updates_offset_limit_and_allowed_updates(server: FakeBotApi) -> None:
    alice = server.user(ALICE, "Alice")
    for text in ("a", "b", "c"):
        await alice.send(text)

    def texts(body: dict[str, Any]) -> list[str]:
        return [u["message"]["text"] for u in body["result"]]

    _, body = await call(server, "getUpdates")
    ids = [u["update_id"] for u in body["result"]]
    assert texts(body) == ["a", "b", "c"]
    _, again = await call(server, "getUpdates", data={"offset": "0"})
    assert texts(again) == ["a", "b", "c"]  # nothing confirmed yet
    _, later = await call(server, "getUpdates", data={"offset": str(ids[1])})
    assert texts(later) == ["b", "c"]  # "a" is confirmed and gone for good
    _, limited = await call(server, "getUpdates", data={"limit": "1"})
    assert texts(limited) == ["b"]
    _, last = await call(server, "getUpdates", data={"offset": "-1"})
    assert texts(last) == ["c"]
    _, empty = await call(server, "getUpdates", data={"offset": str(ids[2] + 1)})
    assert empty == {"ok": True, "result": []}

    alice.block_bot()  # a my_chat_member update
    await alice.send("d")
    _, only_messages = await call(server, "getUpdates", json={"allowed_updates": ["message"]})
    assert texts(only_messages) == ["d"]


async def test_long_polling_waits_for_an_update_or_the_timeout(server: FakeBotApi) -> None:
    alice = server.user(ALICE, "Alice")
    started = time.monotonic()
    _, body = await call(server, "getUpdates", data={"timeout": "1"})
    assert body["result"] == []
    assert time.monotonic() - started >= 0.9

    poll = asyncio.create_task(call(server, "getUpdates", data={"timeout": "30"}))
    await server.wait_until(lambda: len(server.calls("getUpdates")) == 2)
    started = time.monotonic()
    await alice.send("wake up")
    _, body = await poll
    assert [u["message"]["text"] for u in body["result"]] == ["wake up"]
    assert time.monotonic() - started < 5


async def test_a_newer_poll_ends_an_older_one_with_a_conflict(server: FakeBotApi) -> None:
    first = asyncio.create_task(call(server, "getUpdates", data={"timeout": "30"}))
    await server.wait_until(lambda: len(server.calls("getUpdates")) == 1)
    await call(server, "getUpdates")
    status, body = await first
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_json_bodies_query_strings_and_error_shapes(server: FakeBotApi) -> None:
    server.user(ALICE, "Alice")
    status, body = await call(
        server,
        "sendMessage",
        json={
            "chat_id": ALICE,
            "text": "<b>hi</b>",
            "parse_mode": "HTML",
            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
        },
    )
    assert status == 200 and body["ok"] is True
    assert body["result"]["text"] == "hi"
    assert server.calls("sendMessage")[0].content_type == "application/json"
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"

    status, body = await call(server, "getMe", params={"unused": "1"})
    assert (status, body["result"]["is_bot"]) == (200, True)

    status, body = await call(
        server, "sendMessage", data={"chat_id": str(ALICE), "text": "<b>x", "parse_mode": "HTML"}
    )
    assert status == 400
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": body["description"],
    }
    assert body["description"].startswith("Bad Request: can't parse entities")
    assert (await call(server, "getMe", token="1:wrong"))[0] == 401
    assert (await call(server, "noSuchMethod"))[1]["error_code"] == 404


async def test_transcripts_keep_edit_history(server: FakeBotApi, app: Application) -> None:
    alice = server.user(ALICE, "Alice")
    sent = await app.bot.send_message(ALICE, "v1")
    for text in ("v2", "v3"):
        await app.bot.edit_message_text(text, ALICE, sent.message_id)
    message: FakeMessage = alice.chat.bot_messages[-1]
    assert message.text == "v3"
    assert [revision.text for revision in message.edits] == ["v1", "v2"]
    assert message.edit_date is not None
