"""Updates run one chat at a time, so that one busy chat cannot hold every slot.

PTB's own processor lets any ``max_concurrent_updates`` updates run at once. A handler that
sends into a group waits for that group's rate limit (20 messages a minute) while holding its
slot, so sixty people tapping "I'm in" filled every slot and a private /help waited minutes.
Here an update first waits for its chat's *lane* (updates of one chat run in order, one at a
time) and only then takes one of the shared slots: a chat's backlog waits outside the slots,
and holds at most one of them. A user flooding their own chat is held back the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's semaphore only bounds the updates waiting here; the lanes and slots do the limiting.
_WAITING_AT_MOST = 1_000_000


def lane_of(update: object, poll_chats: Mapping[str, int]) -> int | None:
    """The chat an update belongs to: a vote or a poll's new state is in the chat of its poll
    (``poll_chats``, when known), a button under an inline message in its user's; None for
    updates of no chat or user."""
    if not isinstance(update, Update):
        return None
    poll_id = (
        update.poll.id
        if update.poll is not None
        else update.poll_answer.poll_id
        if update.poll_answer is not None
        else None
    )
    if poll_id is not None and poll_id in poll_chats:
        return poll_chats[poll_id]
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class ChatLanes(BaseUpdateProcessor):
    """At most ``max_concurrent_updates`` updates at once, and one per chat."""

    def __init__(self, max_concurrent_updates: int) -> None:
        # PTB's ``max_concurrent_updates`` (and its semaphore) must not hold updates that
        # wait for their lane, so it is set far above what runs; ``slots`` is what does run.
        super().__init__(_WAITING_AT_MOST)
        self.slots = max_concurrent_updates
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._lanes: dict[int, tuple[asyncio.Lock, int]] = {}  # chat -> (lock, users of it)
        self.poll_chats: Mapping[str, int] = {}  # poll id -> chat, kept by the movie nights

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        lane = lane_of(update, self.poll_chats)
        if lane is None:
            async with self._slots:
                await self.run(update, coroutine)
            return
        lock, users = self._lanes.get(lane, (asyncio.Lock(), 0))
        self._lanes[lane] = (lock, users + 1)
        try:
            async with lock, self._slots:
                await self.run(update, coroutine)
        finally:
            lock, users = self._lanes[lane]
            if users == 1:
                del self._lanes[lane]  # an idle chat costs nothing
            else:
                self._lanes[lane] = (lock, users - 1)

    async def run(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run one update's handlers, its lane and a slot held (subclasses add to this)."""
        await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
