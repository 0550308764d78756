"""The inbox of updates in a real SQLite file: stored before handling, refused when seen again,
marked done in the same commit as the first thing an update writes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from telegram import Bot, Update

from bot.inbox import Inbox
from bot.inbox_store import HANDLING, Handling
from bot.storage import Storage, UnknownIdError

ALICE = 1001
TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"


def update(update_id: int, text: str = "/help") -> Update:
    message = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
        "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"},
        "text": text,
    }
    parsed = Update.de_json({"update_id": update_id, "message": message}, Bot(TOKEN))
    assert parsed is not None
    return parsed


async def put(storage: Storage, update_id: int, payload: str) -> bool:
    """Keep one update; False when it was seen before (a redelivery)."""
    return update_id in await storage.inbox.put_many({update_id: payload})


async def handle(
    storage: Storage, update_id: int, work: Callable[[], Awaitable[object]]
) -> Handling:
    """Run ``work`` as the handlers of one update would: in its own task, under HANDLING."""
    handling = Handling(update_id)

    async def task() -> None:
        HANDLING.set(handling)
        await work()

    await asyncio.create_task(task())
    return handling


async def test_an_update_is_kept_until_done_and_refused_when_it_comes_again(
    storage: Storage,
) -> None:
    assert await put(storage, 1, '{"update_id": 1, "text": "first \\"quoted\\" é"}')
    assert await put(storage, 2, '{"update_id": 2}')
    assert not await put(storage, 1, '{"update_id": 1, "text": "again"}')
    pending = await storage.inbox.pending()
    assert [(u, json.loads(payload)) for u, payload in pending] == [
        (1, {"update_id": 1, "text": 'first "quoted" é'}),
        (2, {"update_id": 2}),
    ]
    await storage.inbox.done(1)
    assert [u for u, _ in await storage.inbox.pending()] == [2]
    assert not await put(storage, 1, '{"update_id": 1, "text": "redelivered"}')
    assert await storage.inbox.prune(older_than=2**40) == 1
    assert await put(storage, 1, '{"update_id": 1, "text": "a day later, forgotten"}')


async def test_the_first_update_of_a_batch_stores_the_whole_batch(storage: Storage) -> None:
    inbox = Inbox(max_concurrent_updates=1)
    await inbox.attach(storage, Bot(TOKEN))
    assert await put(storage, 21, "{}")
    await storage.inbox.done(21)  # handled before a crash, then fetched again
    batch = [update(n) for n in (21, 22, 23)]
    inbox.remember_raw({"ok": True, "result": [u.to_dict() for u in batch]})

    await inbox.queue.put(batch[0])  # a redelivery: dropped, but the batch is stored
    assert [u for u, _ in await storage.inbox.pending()] == [22, 23]
    for item in batch[1:]:
        await inbox.queue.put(item)
    assert [inbox.queue.get_nowait().update_id for _ in range(2)] == [22, 23]
    assert inbox.queue.empty()
    await inbox.queue.put(batch[2])  # the same update once more: refused from the database
    assert inbox.queue.empty()


async def test_pruning_forgets_old_handled_updates_only(storage: Storage) -> None:
    for update_id in (1, 2, 3):
        assert await put(storage, update_id, "{}")
    await storage.inbox.done(1)
    await storage.inbox.done(2)
    now = int(time.time())
    assert await storage.inbox.prune(older_than=now - 3600) == 0  # received just now
    assert await storage.inbox.prune(older_than=now + 3600) == 2
    assert [u for u, _ in await storage.inbox.pending()] == [3]  # kept for the replay
    assert await put(storage, 1, "{}")  # forgotten, so taken as new


async def test_a_write_marks_its_update_done_in_the_same_commit(storage: Storage) -> None:
    await put(storage, 7, "{}")
    await put(storage, 8, "{}")
    handling = await handle(storage, 7, lambda: storage.ensure_user(ALICE, "Alice", "en"))
    assert not handling.done, "registering a user is bookkeeping, not the update's effect"
    handling = await handle(storage, 7, lambda: storage.rate(ALICE, 50, 4.0))
    assert handling.done
    assert [u for u, _ in await storage.inbox.pending()] == [8]

    async def failing() -> None:
        await storage.rate(ALICE + 1, 50, 4.0)  # no such user: rolled back

    with pytest.raises(UnknownIdError):
        await handle(storage, 8, failing)
    assert [u for u, _ in await storage.inbox.pending()] == [8], "a rolled-back write marks nothing"


async def test_attach_replays_what_a_crash_left_and_the_queue_stores_first(
    tmp_path: Path,
) -> None:
    storage = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        await put(storage, 3, update(3, "/rate").to_json())
        await put(storage, 4, update(4).to_json())
        await storage.inbox.done(4)
        inbox = Inbox(max_concurrent_updates=1)
        assert await inbox.attach(storage, Bot(TOKEN)) == 1
        replayed = inbox.queue.get_nowait()
        assert isinstance(replayed, Update) and replayed.message.text == "/rate"

        await inbox.queue.put(update(5))
        await inbox.queue.put(update(4))  # handled before: dropped
        await inbox.queue.put(update(5))  # already waiting: dropped
        assert [u.update_id for u in [inbox.queue.get_nowait()]] == [5]
        assert inbox.queue.empty()
        assert [u for u, _ in await storage.inbox.pending()] == [3, 5]

        async def handlers() -> None:
            pass  # a /help writes nothing: the processor marks it done afterwards

        await inbox.processor.do_process_update(update(5), handlers())
        assert [u for u, _ in await storage.inbox.pending()] == [3]
    finally:
        await storage.close()


async def test_updates_are_stored_as_telegram_wrote_them(storage: Storage) -> None:
    inbox = Inbox(max_concurrent_updates=1)
    await inbox.attach(storage, Bot(TOKEN))
    raw = {"update_id": 9, "message": {**update(9).message.to_dict(), "x_new_field": "ß"}}
    inbox.remember_raw({"ok": True, "result": [raw]})
    inbox.remember_raw({"ok": False, "error_code": 502, "description": "Bad Gateway"})
    inbox.remember_raw({"ok": True, "result": {"message_id": 3}})  # not an update list
    await inbox.queue.put(update(9))
    await inbox.queue.put(update(10))  # no raw copy: PTB's own JSON
    (nine, stored), (ten, fallback) = await storage.inbox.pending()
    assert (nine, json.loads(stored)) == (9, raw)
    assert (ten, json.loads(fallback)["message"]["text"]) == (10, "/help")
