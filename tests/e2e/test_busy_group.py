"""One busy group must delay only itself: sixty people join a movie night at once, under the
real rate limiter (20 messages a minute a group), while someone else asks for /help in a
private chat. The real bot process against the fake Bot API."""

from __future__ import annotations

import time

import pytest
from botprocess import BotProcess
from conftest import STARTUP_S

from tests.fakebotapi import FakeBotApi, FakeMessage

pytestmark = pytest.mark.e2e

BOT = "moviebot_test_bot"
MEMBERS = 60


def text(message: FakeMessage) -> str:
    return message.text or ""


async def test_sixty_joins_do_not_hold_up_a_private_chat(
    server: FakeBotApi, bot: BotProcess
) -> None:
    alice = server.user(1, "Alice")
    await alice.send("/help")
    await alice.wait_for_message(timeout=STARTUP_S)  # the bot is up

    members = [server.user(1000 + n, f"Member {n}") for n in range(MEMBERS)]
    club = server.group(-1001, "Crowd", supergroup=True)
    await members[0].send(f"/movienight@{BOT}", chat=club)
    night = await members[0].wait_for_message(lambda m: "Who's in?" in text(m), chat=club)
    taps = [member.tap(night, night.button("I'm in")["callback_data"]) for member in members]

    started = time.monotonic()
    await alice.send("/help")
    await alice.wait_for_message(lambda m: "What I can do" in text(m), timeout=30)
    waited = time.monotonic() - started
    assert waited < 5, f"a private /help waited {waited:.1f} s behind the group"

    await server.wait_until(lambda: all(tap.answer for tap in taps), 30, "every join answered")
    await server.wait_until(
        lambda: f"In so far ({MEMBERS})" in text(night), 30, "the night lists everyone"
    )
    edits = [c for c in server.calls("editMessageText") if c.params["chat_id"] == club.id]
    assert len(edits) < MEMBERS / 2, f"{len(edits)} edits for {MEMBERS} joins"
    hints = [m for m in club.chat.bot_messages if "you're in!" in text(m)]
    assert len(hints) == 1, "one message tells everyone without ratings, not one each"
    assert f"Member {MEMBERS - 1}" in text(hints[0]) or "more, you're in!" in text(hints[0])


async def test_one_user_flooding_heavy_commands_does_not_hold_up_another(
    server: FakeBotApi, bot: BotProcess
) -> None:
    flooder, other = server.user(11, "Flo"), server.user(12, "Otto")
    await flooder.send("/start")
    await flooder.wait_for_message(timeout=STARTUP_S)
    card = await flooder.wait_for_message(lambda m: "★1" in m.button_texts)
    for stars in (5, 4, 3, 5, 4):
        title = text(card).splitlines()[0]
        await flooder.press(card, f"★{stars}")
        await flooder.wait_for_edit(card, lambda m, t=title: text(m).splitlines()[0] != t)
    for _ in range(20):  # each draws a map: the heaviest thing a user can ask for
        await flooder.send("/map")
    await flooder.wait_for_message(lambda m: m.photo is not None, timeout=30)  # under way

    started = time.monotonic()
    await other.send("/help")
    await other.wait_for_message(lambda m: "What I can do" in text(m), timeout=60)
    waited = time.monotonic() - started
    assert waited < 5, f"another user's /help waited {waited:.1f} s behind 20 maps"
