"""The only place the ``film_<id>`` start payload is built and parsed: the link under a film
card posted in another chat, which opens the private chat on that film."""

from __future__ import annotations

import re

PREFIX = "film_"
MAX_ID = 2**31 - 1
# Canonical decimal, as bot/callbacks.py writes ids: "film_007" or "film_-1" were never built.
_PAYLOAD_RE = re.compile(r"film_(0|[1-9][0-9]{0,9})")


def film_link(bot_username: str, item_id: int) -> str:
    """``https://t.me/<bot>?start=film_<id>``: Telegram turns it into ``/start film_<id>``."""
    return f"https://t.me/{bot_username}?start={PREFIX}{item_id}"


def is_film_payload(payload: str) -> bool:
    """Whether /start's argument claims to be a film link (valid or not)."""
    return payload.startswith(PREFIX)


def parse_film(payload: str) -> int | None:
    """The film id of a ``film_<id>`` payload; None for anything this bot never built."""
    match = _PAYLOAD_RE.fullmatch(payload)
    if match is None:
        return None
    item_id = int(match.group(1))
    return item_id if item_id <= MAX_ID else None
