"""Updates run one chat at a time, and a chat's backlog holds at most one of the slots."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.lanes import ChatLanes, lane_of


def update(update_id: int, chat_id: int) -> Update:
    message = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
        "text": "/help",
    }
    built = Update.de_json({"update_id": update_id, "message": message}, None)
    assert built is not None
    return built


async def test_a_busy_chat_holds_one_slot_and_runs_in_order() -> None:
    lanes = ChatLanes(max_concurrent_updates=2)
    release = asyncio.Event()
    order: list[int] = []

    async def handle(n: int) -> None:
        order.append(n)
        if n < 100:  # the group's handlers wait, as for a rate limit
            await release.wait()

    group = [asyncio.create_task(lanes.process_update(update(n, -5), handle(n))) for n in range(10)]
    private = asyncio.create_task(lanes.process_update(update(100, 1), handle(100)))
    await asyncio.wait_for(private, 1)  # not behind the group's ten
    assert order == [0, 100]
    release.set()
    await asyncio.gather(*group)
    assert order == [0, 100, *range(1, 10)]


async def test_two_slots_run_two_chats_at_once() -> None:
    lanes = ChatLanes(max_concurrent_updates=2)
    running, peak = 0, 0

    async def handle() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await asyncio.gather(*(lanes.process_update(update(n, n), handle()) for n in range(1, 7)))
    assert peak == 2


def test_updates_of_no_chat_have_no_lane() -> None:
    assert lane_of(update(1, -5), {}) == -5
    assert lane_of(Update(2), {}) is None and lane_of("not an update", {}) is None
