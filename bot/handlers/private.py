"""Private-chat handlers: commands, plain text and button presses."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import telegram_io
from bot.replies import EXPIRED, Person, notice
from bot.runtime import RESOURCES_KEY, Resources


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


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice: say what works instead."""
    message = update.effective_message
    if message is not None:
        await message.reply_text("I only understand text. Send a film title, or /help.")
