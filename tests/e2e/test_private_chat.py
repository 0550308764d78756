"""Scripted users talk to the real bot over HTTP; we check what they see and what is stored."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from botprocess import BotProcess
from conftest import STARTUP_S

from tests.fakebotapi import FakeBotApi, FakeMessage

ALICE, BOB = 101, 102


def stored(db: str, user: int) -> dict[int, float]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_id, stars FROM ratings WHERE user_id = ?", (user,))
        return dict(rows.fetchall())


def card_title(message: FakeMessage) -> str:
    return (message.text or "").splitlines()[0]


async def start_rating(user, first_reply_within: float = STARTUP_S) -> FakeMessage:
    await user.send("/start")
    welcome = await user.wait_for_message(timeout=first_reply_within)
    assert "recommend" in (welcome.text or "").lower()
    return await user.wait_for_message(lambda m: "★1" in m.button_texts)


async def test_rate_ten_recommend_search_undo_forget(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    alice = server.user(ALICE, "Alice")
    card = await start_rating(alice)
    titles = []
    for _ in range(10):
        titles.append(card_title(card))
        answer = await alice.press(card, "★4")
        assert answer.text == "Saved 4★"
        await alice.wait_for_edit(card, lambda m, t=titles[-1]: card_title(m) != t)
    assert len(set(titles)) == 10, "every tap shows a new film"
    assert "10 rated" in (card.text or "")
    assert len(alice.chat.bot_messages) == 2, "ten taps, still one card message"
    db = bot_env["DATABASE_PATH"]
    assert list(stored(db, ALICE).values()) == [4.0] * 10

    await alice.send("/recommend")
    recs = await alice.wait_for_message(lambda m: "Films for you" in (m.text or ""))
    for title in titles:
        assert f"{title}\n" not in (recs.text or "") + "\n"
    assert "More" in recs.button_texts

    await alice.send("/map")
    picture = await alice.wait_for_message(lambda m: m.photo is not None, timeout=30)
    assert "blue stars" in (picture.caption or "")

    await alice.send("star wars")  # a title that clearly names one film: its card at once
    star_wars = await alice.wait_for_message(lambda m: (m.text or "").startswith("Star Wars"))
    before = stored(db, ALICE).get(50)  # the best-known film may be one of the ten questions
    await alice.press(star_wars, "★5")
    assert stored(db, ALICE)[50] == 5.0

    await alice.send("/undo")
    undone = await alice.wait_for_message(lambda m: "Took back" in (m.text or ""))
    assert "Star Wars" in (undone.text or "")
    assert stored(db, ALICE).get(50) == before

    await alice.send("/forget")
    prompt = await alice.wait_for_message(lambda m: "Yes, forget me" in m.button_texts)
    assert len(stored(db, ALICE)) == 10
    await alice.press(prompt, "Yes, forget me")
    await alice.wait_for_edit(prompt, lambda m: "forgotten" in (m.text or ""))
    assert stored(db, ALICE) == {}


async def test_bad_input_gets_short_answers_and_changes_nothing(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    bob = server.user(BOB, "Bob")
    card = await start_rating(bob)
    db = bot_env["DATABASE_PATH"]

    await bob.send("/launchmissiles")
    assert "/help" in (await bob.wait_for_message()).text
    await bob.send("x" * 10_000)
    assert "too long" in (await bob.wait_for_message()).text
    await bob.send("שלום 🎬 <b>&amp; ' --")
    reply = await bob.wait_for_message()
    assert reply.text == (
        "I don't know “שלום 🎬 <b>&amp; ' --”. My films come from ml-100k, which stops in 1998; "
        "check the spelling, or try a film from before then."
    ), "shown literally, with the catalogue's limits"

    for forged in ["r1:50:11", "r9:50:8", "r1:999999:8", "n1:1:1", "' OR 1=1 --"]:
        answer = await bob.press_data(card, forged)
        assert answer.text == "This button has expired."

    first = card_title(card)
    tap = card.button("★3")["callback_data"]
    await asyncio.gather(bob.press_data(card, tap), bob.press_data(card, tap))  # two at once
    await bob.wait_for_edit(card, lambda m: card_title(m) != first)
    second_title = card_title(card)
    await bob.press_data(card, tap)  # a tap on the old card, after the edit
    await asyncio.sleep(0.3)
    assert card_title(card) == second_title, "an old tap must not skip the current film"
    assert stored(db, BOB) == {int(tap.split(":")[1]): 3.0}


async def test_a_user_who_blocked_the_bot_does_not_break_it(
    server: FakeBotApi, bot: BotProcess
) -> None:
    carol = server.user(103, "Carol")
    await start_rating(carol)

    def attempts() -> int:
        return sum(str(r.params.get("chat_id")) == "103" for r in server.calls("sendMessage"))

    before = attempts()
    carol.block_bot()
    await carol.send("/recommend")  # the bot's reply is refused: 403 Forbidden
    await server.wait_until(lambda: attempts() > before, 10, "a reply to the blocked user")
    carol.unblock_bot()
    await carol.send("/help")
    assert "What I can do" in (await carol.wait_for_message(timeout=10)).text


async def test_no_rating_is_lost_when_the_bot_is_killed(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str], tmp_path: Path
) -> None:
    dave = server.user(104, "Dave")
    card = await start_rating(dave)
    acknowledged = {}
    for stars in (1, 2, 3, 4, 5, 4, 3):
        title = card_title(card)
        item = int(card.button(f"★{stars}")["callback_data"].split(":")[1])
        answer = await dave.press(card, f"★{stars}")
        assert answer.text == f"Saved {stars}★"
        acknowledged[item] = float(stars)
        await dave.wait_for_edit(card, lambda m, t=title: card_title(m) != t)
    await bot.kill()  # SIGKILL right after the last acknowledged tap
    assert stored(bot_env["DATABASE_PATH"], 104) == acknowledged

    restarted = BotProcess(tmp_path, bot_env)
    await restarted.start()
    try:
        await dave.send("/myratings")
        mine = await dave.wait_for_message(
            lambda m: "Your ratings" in (m.text or ""), timeout=STARTUP_S
        )
        assert "(7," in (mine.text or "")
        welcomes = [m for m in dave.chat.bot_messages if (m.text or "").startswith("Hi Dave")]
        assert len(welcomes) == 1, "the /start before the kill was not processed twice"
    finally:
        assert await restarted.stop() == 0
