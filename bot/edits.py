"""Edits of a group's message, one at a time and only the latest: 60 joins are not 60 edits.

Each movie-night change edits the night's message. In a group Telegram allows 20 messages a
minute, so sixty people joining at once queued sixty edits, each waiting for the limit, and
each join's handler waited with it. Here a handler hands its edit over and returns: while an
edit of a message is on its way, later ones replace each other, and only the newest goes out
after it. The message ends as the last change left it, in two edits instead of sixty.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import TelegramError

from bot import telegram_io
from bot.replies import Reply

log = logging.getLogger(__name__)
EDITS_KEY = "edits"  # bot_data: the application's Edits

Key = tuple[int, int]  # (chat id, message id)


class Edits:
    """Pending edits, by message; ``submit`` never waits."""

    def __init__(self) -> None:
        self._next: dict[Key, tuple[Bot, Reply]] = {}
        self._under_way: dict[Key, asyncio.Task[None]] = {}

    def submit(self, bot: Bot, chat_id: int, message_id: int, reply: Reply) -> None:
        """Make ``reply`` the message's next content, replacing any edit not yet sent."""
        key = (chat_id, message_id)
        self._next[key] = (bot, reply)
        if key not in self._under_way:
            self._under_way[key] = asyncio.create_task(self._send(key))

    async def flush(self) -> None:
        """Wait for the edits under way (at shutdown)."""
        if self._under_way:
            await asyncio.wait(list(self._under_way.values()))

    async def _send(self, key: Key) -> None:
        try:
            while key in self._next:
                bot, reply = self._next.pop(key)
                try:
                    await telegram_io.edit(bot, *key, reply)
                except TelegramError as error:  # the message is gone, the bot was removed…
                    log.warning("could not update message %d in chat %d: %s", key[1], key[0],
                                error.message)  # fmt: skip
                except Exception:
                    log.exception("could not update message %d in chat %d", key[1], key[0])
        finally:
            del self._under_way[key]
