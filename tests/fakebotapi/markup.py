"""Checks on ``reply_markup`` like Telegram's: keyboard shape, button kinds, callback_data size.

Error texts are Telegram's where they are well known (BUTTON_DATA_INVALID) and close
paraphrases otherwise; tests should match on the stable part.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .params import bad_request

MAX_CALLBACK_DATA = 64
MAX_BUTTONS_PER_ROW = 8
MAX_BUTTONS = 100

_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
    """The markup to store (None: no keyboard), or a 400 for a malformed one."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not _is_grid(rows):
            raise bad_request('field "keyboard" must be an Array of Arrays')
        for row in rows:
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str) or not text:
                    raise bad_request("keyboard button text must be non-empty")
        return markup
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _check_inline_keyboard(rows: Any) -> None:
    if not _is_grid(rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    total = 0
    for row in rows:
        if len(row) > MAX_BUTTONS_PER_ROW:
            raise bad_request("too many buttons in a row")
        total += len(row)
        for button in row:
            _check_inline_button(button)
    if total > MAX_BUTTONS:
        raise bad_request("reply markup is too long")


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    actions = [name for name in _INLINE_ACTIONS if name in button]
    if not actions:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            "can't parse inline keyboard button: only one of the optional fields must be used"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if (
            parts is None
            or parts.scheme not in ("http", "https", "tg")
            or not (parts.netloc or parts.scheme == "tg")
        ):
            raise bad_request("BUTTON_URL_INVALID")


def _is_grid(rows: Any) -> bool:
    return isinstance(rows, list) and all(isinstance(row, list) for row in rows)


def buttons(markup: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every inline button of a markup, row by row."""
    if not markup or "inline_keyboard" not in markup:
        return []
    return [button for row in markup["inline_keyboard"] for button in row]
