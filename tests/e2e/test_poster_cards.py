"""Posters end to end: the real bot on an ml-latest-small-format catalogue with links.csv,
a fake TMDB and the fake Bot API on 127.0.0.1. Cards are photos where TMDB has a poster and
text where it has none, in the same message as long as Telegram allows; a slow TMDB costs
one card its poster, not anyone else's time."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from botprocess import BotProcess
from conftest import STARTUP_S

from bot.posters import IMAGE_BASE
from bot.private.views import TMDB_ATTRIBUTION
from tests.fakebotapi import FakeBotApi, FakeMessage, FakeUser, Fault
from tests.faketmdb import KEY, FakeTmdb

TITLES = (
    "Matrix, The (1999)", "Memento (2000)", "Spirited Away (2001)", "Gladiator (2000)",
    "Inception (2010)", "Up (2009)", "Her (2013)", "Parasite (2019)", "Whiplash (2014)",
    "Zodiac (2007)", "Amélie (2001)", "Oldboy (2003)",
)  # fmt: skip
NAMES = [t.split(" (")[0] for t in TITLES]
TMDB_OF = {
    f"The {name.removesuffix(', The')}" if name.endswith(", The") else name: 200 + i
    for i, name in enumerate(NAMES)
}  # by the title the bot shows
# Two films with a poster, two without, and so on; the last one TMDB does not know at all.
# Not by parity: tastes split by parity (release()), and the questions follow a taste.
POSTERS = {200 + i: (f"/p{200 + i}.jpg" if i % 4 < 2 else None) for i in range(11)}


def release(folder: Path) -> Path:
    folder.mkdir()
    rng = np.random.default_rng(0)
    lines = ["userId,movieId,rating,timestamp"]
    for user in range(1, 61):
        for item in rng.choice(len(TITLES), size=8, replace=False):
            stars = 4.5 if item % 2 == user % 2 else 1.5
            lines.append(f"{user},{item + 1},{stars},{1_500_000_000 + user}")
    (folder / "ratings.csv").write_text("\n".join(lines) + "\n")
    movies = ["movieId,title,genres"] + [f'{i + 1},"{t}",Drama' for i, t in enumerate(TITLES)]
    (folder / "movies.csv").write_text("\n".join(movies) + "\n", encoding="utf-8")
    links = ["movieId,imdbId,tmdbId"] + [f"{i + 1},{100 + i},{200 + i}" for i in range(12)]
    (folder / "links.csv").write_text("\n".join(links) + "\n")
    return folder


@pytest.fixture
async def tmdb() -> AsyncIterator[FakeTmdb]:
    async with FakeTmdb(dict(POSTERS)) as fake:
        yield fake


@pytest.fixture
def bot_env(bot_env: dict[str, str], tmdb: FakeTmdb, tmp_path: Path) -> dict[str, str]:
    return {
        **bot_env,
        "CATALOGUE": str(release(tmp_path / "ml-latest-small")),
        "MODEL_PATH": str(tmp_path / "models" / "model.safetensors"),  # trained at start-up
        "TRAIN_FACTORS": "4",
        "TRAIN_EPOCHS": "5",
        "TMDB_API_KEY": KEY,
        "TMDB_URL": tmdb.base_url,
    }


def poster_of(message: FakeMessage) -> str | None:
    return message.photo.url if message.photo is not None else None


def expected_poster(message: FakeMessage) -> str | None:
    title = (message.text or message.caption or "").splitlines()[0].split(" (")[0]
    path = POSTERS.get(TMDB_OF[title])
    return None if path is None else IMAGE_BASE + path


def content(message: FakeMessage) -> str:
    return message.caption or message.text or ""


def live_card(user: FakeUser) -> FakeMessage:
    return [m for m in user.chat.bot_messages if "★1" in m.button_texts][-1]


async def test_cards_show_posters_and_change_them_in_place(
    server: FakeBotApi, bot: BotProcess, tmdb: FakeTmdb
) -> None:
    alice = server.user(501, "Alice")
    await alice.send("/start")
    card = await alice.wait_for_message(lambda m: "★1" in m.button_texts, timeout=STARTUP_S)
    kinds, same_message = [], []
    for rated in range(1, 7):
        assert poster_of(card) == expected_poster(card), card
        kinds.append(poster_of(card) is not None)
        before = card
        # Low stars: release() splits the films into two tastes, the questions can cover
        # all six of one, and /recommend must still find films Alice should like.
        await alice.press(card, "★1")
        await server.wait_until(
            lambda b=before, n=rated: (
                f"{n} rated" in content(live_card(alice)) and (b.deleted or live_card(alice) is b)
            ),
            what=f"the card after {rated} ratings",
        )
        card = live_card(alice)
        same_message.append(card is before)
        assert not (card is not before and not before.deleted), "the old card was left behind"
    # Photo to photo and text to text edit the message; between the two it is replaced.
    for was, now, same in zip(kinds, kinds[1:], same_message, strict=False):
        assert same == (was == now), (kinds, same_message)
    assert True in kinds and False in kinds, kinds
    if any(a and b for a, b in itertools.pairwise(kinds)):
        assert server.calls("editMessageMedia")

    await alice.send("/recommend")
    recs = await alice.wait_for_message(lambda m: "Films for you" in (m.text or m.caption or ""))
    top = (recs.text or recs.caption or "").splitlines()[2]  # "1. <title> (year) — 4.5★"
    path = POSTERS.get(TMDB_OF[top.removeprefix("1. ").split(" (")[0]])
    if path is not None:  # a photo, or a preview above a list too long for a caption
        sent = server.calls("sendPhoto") + server.calls("sendMessage")
        shown = [r.params.get("photo") or r.params.get("link_preview_options", {}).get("url")
                 for r in sent]  # fmt: skip
        assert IMAGE_BASE + path in shown

    await alice.send("/help")
    help_reply = await alice.wait_for_message(lambda m: "What I can do" in (m.text or ""))
    assert TMDB_ATTRIBUTION in (help_reply.text or "")
    assert len(tmdb.asked) == len(set(tmdb.asked)), "each poster is asked for once"

    # Telegram cannot fetch a poster: the card comes as text all the same.
    cached = next(t for t, i in TMDB_OF.items() if i in tmdb.asked and POSTERS.get(i))
    inline = await alice.ask_inline(cached)
    assert inline.results[0]["thumbnail_url"] == IMAGE_BASE + POSTERS[TMDB_OF[cached]]
    await alice.send(f"/search {cached}")
    found = await alice.wait_for_message(lambda m: "Is it one of these?" in (m.text or ""))
    server.inject("sendPhoto", Fault(400, "Bad Request: wrong file identifier/HTTP URL specified"))
    await alice.press(found, next(b for b in found.button_texts if b.startswith(cached)))
    refused = await alice.wait_for_message(lambda m: "★1" in m.button_texts)
    assert refused.photo is None and (refused.text or "").startswith(cached)

    # TMDB slows down: a film not seen yet comes as text within the 2 s timeout, and other
    # people are answered meanwhile.
    tmdb.mode, tmdb.delay = "slow", 10.0
    unseen = next(t for t, i in TMDB_OF.items() if i not in tmdb.asked and POSTERS.get(i))
    bob, carol = server.user(502, "Bob"), server.user(503, "Carol")
    await bob.send(f"/search {unseen}")
    found = await bob.wait_for_message(lambda m: "Is it one of these?" in (m.text or ""))
    button = next(b for b in found.button_texts if b.startswith(unseen))
    started = time.monotonic()
    press = asyncio.create_task(bob.press(found, button))
    await carol.send("/help")
    await carol.wait_for_message(lambda m: "What I can do" in (m.text or ""), timeout=1.5)
    await press
    slow_card = await bob.wait_for_message(lambda m: "★1" in m.button_texts, timeout=4)
    assert time.monotonic() - started < 4
    assert slow_card.photo is None and (slow_card.text or "").startswith(unseen)
    assert KEY not in bot.log()
