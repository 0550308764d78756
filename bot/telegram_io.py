"""Sending the chat layer's :class:`Reply` objects through python-telegram-bot."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    Message,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ExtBot

from bot.views import Reply

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # the "look it up" link would swamp a card


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in reply.buttons
        ]
    )


async def send(bot: ExtBot, chat_id: int, reply: Reply) -> Message:
    if reply.photo is not None:
        return await bot.send_photo(
            chat_id, InputFile(reply.photo, filename="map.png"), caption=reply.text[:1024]
        )
    if reply.document is not None:
        name, content = reply.document
        return await bot.send_document(
            chat_id,
            InputFile(content, filename=name),
            caption=reply.text,
            parse_mode=ParseMode.HTML,
        )
    return await bot.send_message(
        chat_id,
        reply.text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup(reply),
        link_preview_options=_NO_PREVIEW,
    )


async def edit(message: Message, reply: Reply) -> None:
    """Edit a message in place; editing it into what it already says is not an error."""
    try:
        await message.edit_text(
            reply.text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup(reply),
            link_preview_options=_NO_PREVIEW,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise
