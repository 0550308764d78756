"""Sending the chat layer's :class:`Reply` objects through python-telegram-bot.

Text messages and edits go out as raw Bot API calls (bot/telegram_raw.py says why), with the
keyboard written as Bot API JSON; photos, files and polls through PTB's own methods. Errors,
retries and the rate limiter are PTB's.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot import telegram_raw
from bot.replies import Reply

log = logging.getLogger(__name__)
_NO_PREVIEW = {"is_disabled": True}  # a link in the text would swamp a card
MAX_CAPTION = 1024  # characters of a photo's caption, entities parsed (Telegram's limit)
_TAG = re.compile(r"<[^>]+>")


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
    """Send a reply; returns the new message's id. A poster makes it a photo message, or,
    when the text is too long for a caption, a text message with the poster as its preview."""
    if reply.photo_url is not None:
        if fits_caption(reply):
            try:
                result = await telegram_raw.post(bot, "sendPhoto", _photo(reply, chat_id=chat_id))
                return int(result["message_id"])
            except BadRequest as exc:  # Telegram could not fetch the picture
                _poster_refused(reply, exc)
                return await send(bot, chat_id, _without_poster(reply))
        params = _text(reply, chat_id=chat_id)
        params["link_preview_options"] = _poster_preview(reply.photo_url)
        return int((await telegram_raw.post(bot, "sendMessage", params))["message_id"])
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


async def edit(
    bot: Bot, chat_id: int, message_id: int, reply: Reply, *, was_photo: bool = False
) -> None:
    """Edit a message in place; editing it into what it already says is not an error.

    A photo message (``was_photo``) changes its picture in place (editMessageMedia). Telegram
    cannot turn a text message into a photo one or back, so between the two the new card is
    sent and the old one deleted: the card stays one message, the newest in the chat.
    """
    poster = reply.photo_url is not None and fits_caption(reply)
    try:
        if poster and was_photo:
            media = {"type": "photo", **_caption(reply), "media": reply.photo_url}
            params = {"chat_id": chat_id, "message_id": message_id, "media": media}
            try:
                await telegram_raw.post(bot, "editMessageMedia", _with_keyboard(params, reply))
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    raise
                _poster_refused(reply, exc)  # the card goes out as text, replacing the photo
                await send(bot, chat_id, _without_poster(reply))
                await _delete(bot, chat_id, message_id)
        elif poster or was_photo:
            await send(bot, chat_id, reply if poster else _without_poster(reply))
            await _delete(bot, chat_id, message_id)
        else:
            await telegram_raw.post(
                bot, "editMessageText", _text(reply, chat_id=chat_id, message_id=message_id)
            )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def _poster_refused(reply: Reply, error: BadRequest) -> None:
    log.warning("Telegram refused the poster %s (%s): the card goes as text",
                reply.photo_url, error.message)  # fmt: skip


def fits_caption(reply: Reply) -> bool:
    """Whether the reply's text, as Telegram counts it (tags parsed), fits a caption."""
    return len(html.unescape(_TAG.sub("", reply.text))) <= MAX_CAPTION


async def _delete(bot: Bot, chat_id: int, message_id: int) -> None:
    """Delete the replaced card; one Telegram will not delete (over 48 hours old) stays."""
    with contextlib.suppress(BadRequest):
        await bot.delete_message(chat_id, message_id)


def _without_poster(reply: Reply) -> Reply:
    return Reply(reply.text, reply.buttons, reply.document, reply.photo)


def _poster_preview(url: str) -> dict[str, Any]:
    return {"url": url, "prefer_large_media": True, "show_above_text": True}


def _caption(reply: Reply) -> dict[str, Any]:
    return {"caption": reply.text, "parse_mode": ParseMode.HTML.value}


def _photo(reply: Reply, **target: int) -> dict[str, Any]:
    return _with_keyboard({**target, "photo": reply.photo_url, **_caption(reply)}, reply)


def _with_keyboard(params: dict[str, Any], reply: Reply) -> dict[str, Any]:
    buttons = keyboard(reply)
    if buttons is not None:
        params["reply_markup"] = buttons
    return params


def _text(reply: Reply, **target: int) -> dict[str, Any]:
    params: dict[str, Any] = {
        **target,
        "text": reply.text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": _NO_PREVIEW,
    }
    return _with_keyboard(params, reply)
