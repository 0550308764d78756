"""The inbox: every update is written to SQLite before Telegram is told it arrived, and marked
done once handled, so that a crash neither drops nor repeats one.

PTB's updater puts each fetched update on the application's queue and, with its next
getUpdates call, confirms the whole batch to Telegram, while updates may still wait on the
queue; a SIGKILL then loses them. ``DurableQueue.put`` stores the update first (the updater
awaits it before polling again), ``InboxProcessor`` marks it done after its handlers ran, and
on start-up ``replay`` queues the updates that were taken but never handled. The ids of
handled updates are kept for a day, so a redelivered update (a webhook retry, a batch that
was stored but not confirmed before the crash) is dropped instead of handled twice.

An update is marked done in the same commit as the first thing its handlers write (a rating,
an undo), so a crash leaves it either written and done, or unwritten and replayed. Updates
that write nothing (a search) are marked once handled: a crash just before that repeats an
answer, never a write. An update that writes twice (rare: a movie-night vote) is done with its
first write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable
from typing import Any

import orjson
from telegram import Bot, Update

from bot.inbox_store import HANDLING, Handling
from bot.lanes import ChatLanes
from bot.storage import Storage

log = logging.getLogger(__name__)
KEEP_HANDLED_S = 24 * 3600  # Telegram keeps unconfirmed updates for 24 hours
PRUNE_EVERY = 1000  # handled updates between two prunings
MAX_RAW = 10_000  # raw updates waiting for the queue; more means PTB dropped them
REST_S = 30.0  # after the database refused an update, how long to handle them without it


class Inbox:
    """The application's update queue and update processor, backed by one Storage."""

    def __init__(self, max_concurrent_updates: int) -> None:
        self.queue = DurableQueue(self)
        self.processor = InboxProcessor(max_concurrent_updates, self)
        self.storage: Storage | None = None
        self._handled = 0
        self._resting_until = 0.0
        self._raw: dict[int, str] = {}  # update id -> JSON, of the last getUpdates answer
        self._stored: dict[int, bool] = {}  # stored with their batch, not yet queued: new?

    async def attach(self, storage: Storage, bot: Bot) -> int:
        """Start writing through to ``storage``; queue what a crash left unhandled. Returns
        how many updates were replayed. Call before polling starts."""
        self.storage = storage
        pending = await storage.inbox.pending()
        for update_id, payload in pending:
            # PTB's types promise an Update, but an empty payload gives None.
            update: Update | None = Update.de_json(json.loads(payload), bot)
            if update is None:
                await storage.inbox.done(update_id)
                continue
            await asyncio.Queue.put(self.queue, update)
        await storage.inbox.prune(int(time.time()) - KEEP_HANDLED_S)
        return len(pending)

    def remember_raw(self, answer: dict[str, Any]) -> None:
        """The updates of a getUpdates answer as Telegram wrote them (the polling transport's
        ``on_payload``): storing them is eight times cheaper than PTB's ``Update.to_json()``."""
        updates = answer.get("result")
        if not isinstance(updates, list):
            return  # an error answer: PTB reports it
        if len(self._raw) > MAX_RAW:  # updates PTB never queued (it was stopping)
            self._raw.clear()
        for update in updates:
            if isinstance(update, dict) and isinstance(update.get("update_id"), int):
                self._raw[update["update_id"]] = orjson.dumps(update).decode()

    def detach(self) -> None:
        self.storage = None

    async def keep(self, update: Update) -> bool:
        """Store a new update; False for one seen before.

        PTB queues a getUpdates batch one update at a time; the first of them stores the whole
        batch in one statement, and the rest only look up what that found. One write a batch
        instead of one an update: the polling loop waited on the write lock for each.

        When the database refuses (locked, full, read-only), the update is handled anyway,
        without its crash-safe copy, and the inbox rests for ``REST_S`` seconds: a stuck
        database must not stop the bot from answering, nor stall every update on it.
        """
        update_id = update.update_id
        if update_id in self._stored:
            return self._stored.pop(update_id)
        if self.storage is None or time.monotonic() < self._resting_until:
            self._raw.pop(update_id, None)
            return True
        batch = self._raw if update_id in self._raw else {update_id: update.to_json()}
        self._raw = {}
        try:
            new = await self.storage.inbox.put_many(batch)
        except sqlite3.Error as error:
            log.error("the inbox cannot store updates (%s); handling them without it", error)
            self._resting_until = time.monotonic() + REST_S
            return True
        if len(self._stored) > MAX_RAW:  # stored for PTB, never queued (it was stopping)
            self._stored.clear()
        self._stored.update((stored, stored in new) for stored in batch)
        return self._stored.pop(update_id)

    async def done(self, handling: Handling) -> None:
        """Mark handled an update that no write transaction marked (a search, a /help)."""
        if self.storage is None or time.monotonic() < self._resting_until:
            handling.done = True  # not stored while the inbox rests
            return
        self._handled += 1
        try:
            if not handling.done:
                await self.storage.inbox.done(handling.update_id)
            if self._handled % PRUNE_EVERY == 0:
                await self.storage.inbox.prune(int(time.time()) - KEEP_HANDLED_S)
        except sqlite3.Error as error:  # replayed after a restart: at worst answered twice
            log.warning("could not mark update %d handled: %s", handling.update_id, error)
        handling.done = True


class DurableQueue(asyncio.Queue[Any]):
    """PTB's update queue: an update is queued only once it is stored, and only once."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self._inbox = inbox

    async def put(self, item: Any) -> None:
        if isinstance(item, Update) and not await self._inbox.keep(item):
            log.info("update %d came again; dropped (it is stored already)", item.update_id)
            return
        await super().put(item)


class InboxProcessor(ChatLanes):
    """Runs updates one chat at a time (:class:`ChatLanes`), then marks each one handled."""

    def __init__(self, max_concurrent_updates: int, inbox: Inbox) -> None:
        super().__init__(max_concurrent_updates)
        self._inbox = inbox

    async def run(self, update: object, coroutine: Awaitable[Any]) -> None:
        if not isinstance(update, Update):
            await coroutine
            return
        # Each update runs in its own task, so this is seen by its handlers' writes only.
        handling = Handling(update.update_id)
        HANDLING.set(handling)
        try:
            await coroutine
        except Exception:
            await self._inbox.done(handling)  # an update that breaks is not replayed for ever
            raise
        await self._inbox.done(handling)  # not when cancelled: then it is replayed on restart
