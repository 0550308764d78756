"""A movie night in a group, end to end: the real bot process, three scripted members, a
native poll on the fake Bot API. Two members rate films first in their private chats, with the
rating buttons; the third has too few ratings and is sent the deep link."""

from __future__ import annotations

import asyncio
import json
import sqlite3

from botprocess import BotProcess
from conftest import STARTUP_S

from recsys.data import default_data_dir, load_dataset
from tests.fakebotapi import FakeBotApi, FakeMessage, FakeUser

ALICE, BOB, CAROL = 201, 202, 203
BOT = "moviebot_test_bot"
LINK = f"https://t.me/{BOT}?start=rate"


def text(message: FakeMessage) -> str:
    return message.text or ""


async def rate_in_private(user: FakeUser, taps: list[int], first_within: float) -> None:
    """/start, then one tap per entry of ``taps`` (the stars) on the rating cards."""
    await user.send("/start")
    await user.wait_for_message(timeout=first_within)  # the welcome
    card = await user.wait_for_message(lambda m: "★1" in m.button_texts)
    for stars in taps:
        title = text(card).splitlines()[0]
        assert (await user.press(card, f"★{stars}")).text == f"Saved {stars}★"
        await user.wait_for_edit(card, lambda m, t=title: text(m).splitlines()[0] != t)


def seen_by(db: str, users: list[int]) -> set[int]:
    """Films these users rated or dismissed, as stored."""
    marks = ",".join("?" * len(users))
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            f"SELECT item_id FROM ratings WHERE user_id IN ({marks}) "
            f"UNION SELECT item_id FROM dismissals WHERE user_id IN ({marks})",
            [*users, *users],
        )
        return {item for (item,) in rows}


def suggested(db: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_id FROM night_films ORDER BY night_id, position")
        return [item for (item,) in rows]


async def test_a_movie_night_from_joining_to_the_pick(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    db = bot_env["DATABASE_PATH"]
    alice, bob = server.user(ALICE, "Alice"), server.user(BOB, "Bob")
    carol = server.user(CAROL, "Carol")
    await rate_in_private(alice, [5, 4, 5, 2, 4, 5], first_within=STARTUP_S)
    await rate_in_private(bob, [3, 4, 1, 5, 4, 4, 2], first_within=10)
    await rate_in_private(carol, [4, 2], first_within=10)  # under five: not counted

    club = server.group(-1001, "Film club", supergroup=True)
    await club.add_bot(by=alice)
    await club.add_members(alice, bob, carol)
    await alice.send(f"/movienight@{BOT}", chat=club)
    night = await alice.wait_for_message(lambda m: "Who's in?" in text(m), chat=club)
    assert night.button_texts == ["I'm in", "I'm out", "Suggest"]
    join = night.button("I'm in")["callback_data"]

    for member in (alice, bob):
        assert (await member.press(night, "I'm in")).text == "You're in!"
        await member.wait_for_edit(night, lambda m, n=member.first_name: n in text(m))
    answer = await carol.press(night, "I'm in")
    assert answer.text is not None and "Rate a few films" in answer.text
    hint = await carol.wait_for_message(lambda m: "you're in!" in text(m), chat=club)
    assert text(hint).startswith("Carol") and hint.button("Rate films with me")["url"] == LINK
    await carol.wait_for_edit(night, lambda m: "Alice, Bob, Carol" in text(m))
    await carol.press(night, "I'm out")
    await carol.wait_for_edit(night, lambda m: "Carol" not in text(m))
    assert (await carol.press(night, "I'm in")).text == "You're in!"  # told only once
    await carol.wait_for_edit(night, lambda m: "Alice, Bob, Carol" in text(m))

    assert (await alice.press(night, "Suggest")).text is None
    picks = await alice.wait_for_message(lambda m: "Picks for tonight" in text(m), chat=club)
    poll = await alice.wait_for_message(lambda m: m.poll is not None, chat=club)
    await alice.wait_for_edit(night, lambda m: "vote in the poll" in text(m))
    assert night.button_texts == []
    assert text(picks).count("for the group") == 5
    assert "For Alice, Bob\n" in text(picks) and "Not counted yet" in text(picks)
    assert "Carol" in text(picks).split("Not counted yet")[1]

    films = suggested(db)
    assert len(films) == 5
    assert not set(films) & seen_by(db, [ALICE, BOB, CAROL]), "a film a member rated came up"
    catalog = load_dataset("ml-100k", default_data_dir()).catalog
    options = [option["text"] for option in poll.poll["options"]]  # type: ignore[index]
    assert options == [f"{catalog.title(i)} ({catalog.year(i)})" for i in films]
    assert poll.button_texts == ["Close vote"]

    # Two people who are not in vote first: they neither stop the vote nor count.
    for outsider in (server.user(205, "Dave"), server.user(206, "Eve")):
        await outsider.vote(poll, [3])
    await server.wait_for_poll()  # the bot took the votes...
    await asyncio.sleep(1)  # ...and had time to act on them, had they counted
    assert poll.poll is not None and not poll.poll["is_closed"]
    await alice.vote(poll, [1])
    await bob.vote(poll, [1])
    assert (await bob.press(poll, "Close vote")).text == "Counting the votes…"
    result = await bob.wait_for_message(lambda m: "Tonight's film" in text(m), chat=club)
    assert options[1].split(" (")[0] in text(result) and "2 of 2 votes" in text(result)
    assert poll.poll is not None and poll.poll["is_closed"] and poll.button_texts == []
    await bob.wait_for_edit(night, lambda m: "tonight:" in text(m))

    # The night is over: its old buttons change nothing.
    assert (await bob.press_data(night, join)).text == "This button has expired."
    assert (await bob.press_data(poll, join.replace("nj1", "ns1"))).text == (
        "This button has expired."
    )

    # Another group's night does not take this group's buttons.
    other = server.group(-1002, "Other club")
    await bob.send(f"/movienight@{BOT}", chat=other)
    their_night = await bob.wait_for_message(lambda m: "Who's in?" in text(m), chat=other)
    assert (await bob.press_data(their_night, join)).text == "This button has expired."
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM night_participants").fetchall() == [(3,)]


async def test_groups_get_group_commands_and_no_private_chat(
    server: FakeBotApi, bot: BotProcess
) -> None:
    dave = server.user(204, "Dave")
    club = server.group(-1003, "Quiet club")
    await club.add_members(dave)
    await dave.send("anyone up for a film tonight?", chat=club)  # plain text: not read
    await dave.send("/recommend", chat=club)  # bare: could be another bot's
    await dave.send("/help@another_bot", chat=club)
    await dave.send(f"/recommend@{BOT}", chat=club)
    hint = await dave.wait_for_message(chat=club, timeout=STARTUP_S)
    assert "/recommend works in a private chat" in text(hint)
    assert hint.button("Open a private chat")["url"] == LINK
    await dave.send(f"/help@{BOT}", chat=club)
    help_text = await dave.wait_for_message(chat=club)
    assert "Movie nights" in text(help_text)
    assert [text(m) for m in club.chat.bot_messages] == [text(hint), text(help_text)]
    assert dave.transcript == [], "nothing said in the group went to the private chat"

    scopes = {
        json.loads(scope)["type"]: commands for (scope, _), commands in server.commands.items()
    }
    assert [c["command"] for c in scopes["all_group_chats"]] == ["movienight", "help"]
    assert "movienight" not in [c["command"] for c in scopes["all_private_chats"]]
