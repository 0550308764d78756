"""``editMessageMedia`` in the fake Telegram: a photo message changes its picture in place.
Telegram refuses it on a text message (a text message never becomes a photo one)."""

from __future__ import annotations

from typing import Any

from .formatting import MAX_CAPTION, render
from .methods import _NOT_MODIFIED, _edited_message, _inline_markup, _input_file
from .params import Params, bad_request
from .state import TelegramState


async def edit_message_media(state: TelegramState, p: Params) -> Any:
    message = _edited_message(state, p)
    if message.photo is None and message.document is None:
        raise bad_request("there is no media in the message to edit")
    media = p.json("media")
    if not isinstance(media, dict) or media.get("type") != "photo":
        raise bad_request("can't parse InputMedia: the fake Bot API knows only photos")
    photo = _input_file(state, Params({"photo": media.get("media")}, p.files), "photo")
    source = media.get("caption") or ""
    caption, entities = (
        render(source, media.get("parse_mode"), limit=MAX_CAPTION, what="message caption")
        if source
        else (None, [])
    )
    markup = _inline_markup(p)
    same_photo = message.photo is not None and photo.url is not None
    same_photo = same_photo and message.photo.url == photo.url  # type: ignore[union-attr]
    if same_photo and caption == message.caption and markup == message.reply_markup:
        raise bad_request(_NOT_MODIFIED)
    message.edits.append(message.snapshot())
    message.photo, message.document = photo, None
    message.caption, message.caption_entities, message.reply_markup = caption, entities, markup
    message.edit_date = state.now()
    state.signal.notify()
    return message.to_api()
