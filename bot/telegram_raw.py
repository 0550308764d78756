"""The one call into a private python-telegram-bot API: ``Bot._post``, confined here.

Text messages and edits go out as raw Bot API calls: ``send_message`` and
``edit_message_text`` would build a ``Message`` out of every answer (its keyboard included: a
hundred attribute sets through ``TelegramObject.__setattr__``) only for the bot to drop it;
under bench/load.py that parsing was an eighth of the bot's busy time. PTB's public raw call,
``Bot.do_api_request``, warns for every endpoint PTB has a method for, and these two it has;
``_post`` is what every PTB method calls, with PTB's errors, retries and rate limiter.
tests/bot/test_telegram_raw.py fails loudly when an upgrade changes it (pyproject.toml pins
python-telegram-bot <23).
"""

from __future__ import annotations

from typing import Any

from telegram import Bot


async def post(bot: Bot, endpoint: str, params: dict[str, Any]) -> Any:
    """Call ``endpoint`` with JSON-ready ``params``; the answer's ``result``, undecoded."""
    return await bot._post(endpoint, params)
