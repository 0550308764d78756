"""Private-chat handlers: commands, plain text and button presses."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import telegram_io
from bot.imports import BadImport
from bot.replies import EXPIRED, Person, notice
from bot.runtime import RESOURCES_KEY, Resources

log = logging.getLogger(__name__)


def _resources(context: ContextTypes.DEFAULT_TYPE) -> Resources:
    resources: Resources = context.bot_data[RESOURCES_KEY]
    return resources


def _person(update: Update) -> Person:
    user = update.effective_user
    assert user is not None
    return Person(user.id, user.first_name or "", user.language_code)


async def command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any /command in a private chat, known or not."""
    message = update.effective_message
    assert message is not None and message.text is not None
    word, _, args = message.text.partition(" ")
    name = word[1:].partition("@")[0]
    replies = await _resources(context).chat.command(_person(update), name, args)
    for reply in replies:
        await telegram_io.send(context.bot, message.chat_id, reply)


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text: look the title up."""
    message = update.effective_message
    assert message is not None and message.text is not None
    for reply in await _resources(context).chat.text(_person(update), message.text):
        await telegram_io.send(context.bot, message.chat_id, reply)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an inline button: answered always, even when stale or forged."""
    query = update.callback_query
    assert query is not None
    chat = update.effective_chat
    # Groups only ever get movie-night buttons: a private one pressed there is forged.
    if chat is None or chat.type != ChatType.PRIVATE:
        await query.answer(EXPIRED)
        return
    outcome = await _resources(context).chat.button(_person(update), query.data or "")
    await query.answer(notice(outcome.notice))
    message = query.message
    if outcome.edit is not None and isinstance(message, Message):  # not an inaccessible one
        await telegram_io.edit(
            context.bot,
            message.chat_id,
            message.message_id,
            outcome.edit,
            was_photo=bool(message.photo),  # a card with a poster
        )
    for reply in outcome.send:
        await telegram_io.send(context.bot, query.from_user.id, reply)


async def document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: an import of ratings (downloaded only once its size passed)."""
    message = update.effective_message
    assert message is not None and message.document is not None
    sent = message.document

    async def download() -> bytes:
        try:
            file = await context.bot.get_file(sent.file_id)
            return bytes(await file.download_as_bytearray())
        except TelegramError as error:  # "file is too big", a network failure
            log.warning("could not fetch a document: %s", error)
            raise BadImport("I could not fetch that file from Telegram: send it again.") from None

    chat = _resources(context).chat
    for reply in await chat.document(
        _person(update), sent.file_name or "", sent.file_size, download
    ):
        await telegram_io.send(context.bot, message.chat_id, reply)


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice: say what works instead."""
    message = update.effective_message
    if message is not None:
        await message.reply_text("I only understand text. Send a film title, or /help.")
