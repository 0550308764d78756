"""Sending the chat layer's :class:`Reply` objects through python-telegram-bot.

Text messages and edits go out as raw Bot API calls (bot/telegram_raw.py says why), with the
keyboard written as Bot API JSON; photos, files and polls through PTB's own methods. Errors,
retries and the rate limiter are PTB's.
"""

from __future__ import annotations

from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import telegram_raw
from bot.replies import Reply

_NO_PREVIEW = {"is_disabled": True}  # the "look it up" link would swamp a card


def keyboard(reply: Reply) -> dict[str, Any] | None:
    """The reply's buttons as a Bot API ``InlineKeyboardMarkup``; None when it has none."""
    if not reply.buttons:
        return None
    return {
        "inline_keyboard": [
            [
                {"text": b.label, "url": b.url}
                if b.url
                else {"text": b.label, "callback_data": b.data}
                for b in row
            ]
            for row in reply.buttons
        ]
    }


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """The same keyboard as a PTB object, for the methods that take nothing else (polls)."""
    buttons = keyboard(reply)
    return None if buttons is None else InlineKeyboardMarkup.de_json(buttons)


async def send(bot: Bot, chat_id: int, reply: Reply) -> int:
    """Send a reply; returns the new message's id."""
    if reply.photo is not None:
        sent = await bot.send_photo(
            chat_id, InputFile(reply.photo, filename="map.png"), caption=reply.text[:1024]
        )
        return sent.message_id
    if reply.document is not None:
        name, content = reply.document
        sent = await bot.send_document(
            chat_id,
            InputFile(content, filename=name),
            caption=reply.text,
            parse_mode=ParseMode.HTML,
        )
        return sent.message_id
    result = await telegram_raw.post(bot, "sendMessage", _text(reply, chat_id=chat_id))
    return int(result["message_id"])


async def edit(bot: Bot, chat_id: int, message_id: int, reply: Reply) -> None:
    """Edit a message in place; editing it into what it already says is not an error."""
    try:
        await telegram_raw.post(
            bot, "editMessageText", _text(reply, chat_id=chat_id, message_id=message_id)
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _text(reply: Reply, **target: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        **target,
        "text": reply.text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": _NO_PREVIEW,
    }
    buttons = keyboard(reply)
    if buttons is not None:
        params["reply_markup"] = buttons
    return params
