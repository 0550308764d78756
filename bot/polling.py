"""What python-telegram-bot is handed of each polled update.

A button press arrives with the whole message under the button, its keyboard included. The
bot never reads that keyboard (the button's data says what was pressed, and the bot knows
what it sent), yet PTB builds an ``InlineKeyboardButton`` for each of a rating card's twelve
buttons: two thirds of the cost of turning the update into objects (about 320 µs of 435 µs).
The inbox stores each update whole first; only PTB's copy goes without the keyboard.

An update PTB cannot build (a message without a date, a string ``update_id``), or of a kind
the bot did not ask for, would fail every getUpdates that carries it, and Telegram would send
it again for ever. Such an update is emptied to its id before anyone sees it: polling moves
past it, no handler acts on it, and the log says so once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from bot.inbox import Inbox

log = logging.getLogger(__name__)

# What the bot asks Telegram for, and all its handlers act on: an update of another kind
# (an edited message, a business message carrying an admin's "/retrain") is dropped.
ALLOWED_UPDATES = ("message", "callback_query", "poll", "poll_answer", "inline_query")

# What PTB needs of each kind to build it: a field's type, or the shape of a nested object.
Shape = Mapping[str, "type | Shape"]
_USER: Shape = {"id": int, "is_bot": bool, "first_name": str}
_CHAT: Shape = {"id": int, "type": str}
_MESSAGE: Shape = {"message_id": int, "date": int, "chat": _CHAT}
_QUERY: Shape = {"id": str, "from": _USER, "chat_instance": str}
_OPTION: Shape = {"text": str, "voter_count": int}
_ANSWER: Shape = {"poll_id": str, "option_ids": list}
_INLINE: Shape = {"id": str, "from": _USER, "query": str, "offset": str}
_POLL: Shape = {
    "id": str,
    "question": str,
    "options": list,
    "total_voter_count": int,
    "is_closed": bool,
    "is_anonymous": bool,
    "type": str,
    "allows_multiple_answers": bool,
}


def drop_pressed_keyboards(answer: dict[str, Any]) -> None:
    """Remove the keyboard of the message under each pressed button in a getUpdates answer."""
    updates = answer.get("result")
    if not isinstance(updates, list):
        return
    for update in updates:
        query = update.get("callback_query") if isinstance(update, dict) else None
        message = query.get("message") if isinstance(query, dict) else None
        if isinstance(message, dict):
            message.pop("reply_markup", None)


def empty_malformed(answer: dict[str, Any]) -> list[str]:
    """Empty, in place, each update of a getUpdates answer that PTB could not build or the bot
    did not ask for, keeping its id; drop those without a usable id. Returns what was wrong."""
    updates = answer.get("result")
    if not isinstance(updates, list):
        return []
    problems, kept = [], []
    for update in updates:
        update_id = _update_id(update)
        if update_id is None:
            problems.append("an update without a numeric update_id")
            continue
        problem = _problem(update)
        if problem is not None:
            problems.append(problem)
            update = {}
        update["update_id"] = update_id
        kept.append(update)
    updates[:] = kept
    return problems


def on_polled(inbox: Inbox) -> Callable[[dict[str, Any]], None]:
    """The polling transport's ``on_payload``: malformed updates are emptied, the inbox keeps
    each update as Telegram wrote it, then PTB gets it without the pressed keyboards."""
    told: set[str] = set()

    def take(answer: dict[str, Any]) -> None:
        for problem in empty_malformed(answer):
            if problem not in told:  # once: Telegram may send it again and again
                told.add(problem)
                log.warning("the Bot API sent %s; skipped it (said once)", problem)
        inbox.remember_raw(answer)
        drop_pressed_keyboards(answer)

    return take


def _update_id(update: Any) -> int | None:
    value = update.get("update_id") if isinstance(update, dict) else None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _problem(update: dict[str, Any]) -> str | None:
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) != 1:
        return "an update with no single kind"
    kind, body = kinds[0], update[kinds[0]]
    if kind not in ALLOWED_UPDATES:
        return f"a {kind} update, which the bot never asked for"
    if kind == "message":
        fine = _fits(body, _MESSAGE) and _fits_if_there(body, "from", _USER)
    elif kind == "callback_query":
        fine = _fits(body, _QUERY) and _fits_if_there(body, "message", _MESSAGE)
    elif kind == "inline_query":
        fine = _fits(body, _INLINE)
    elif kind == "poll_answer":
        fine = (
            _fits(body, _ANSWER)
            and _fits_if_there(body, "user", _USER)
            and all(isinstance(option, int) for option in body["option_ids"])
        )
    else:
        fine = _fits(body, _POLL) and all(_fits(option, _OPTION) for option in body["options"])
    return None if fine else f"a malformed {kind} update"


def _fits(value: Any, shape: Shape) -> bool:
    if not isinstance(value, dict):
        return False
    for name, wanted in shape.items():
        field = value.get(name)
        if isinstance(wanted, Mapping):
            if not _fits(field, wanted):
                return False
        elif not isinstance(field, wanted):
            return False
    return True


def _fits_if_there(value: dict[str, Any], name: str, shape: Shape) -> bool:
    return name not in value or _fits(value[name], shape)
