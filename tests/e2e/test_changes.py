"""Every change a user makes can be taken back, through the real bot over HTTP (issue 15.2,
15.4): a deleted rating asks first and /undo puts it back; a rated film leaves the watchlist."""

from __future__ import annotations

import sqlite3

from botprocess import BotProcess
from conftest import STARTUP_S

from tests.fakebotapi import FakeBotApi

DANA = 111
STAR_WARS, TOY_STORY = 50, 1


def stored(db: str, user: int) -> dict[int, float]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_id, stars FROM ratings WHERE user_id = ?", (user,))
        return dict(rows.fetchall())


def listed(db: str, user: int) -> list[int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_id FROM watchlist WHERE user_id = ?", (user,))
        return [item for (item,) in rows]


async def test_delete_asks_then_undo_puts_it_back_and_rated_films_leave_the_watchlist(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    db = bot_env["DATABASE_PATH"]
    dana = server.user(DANA, "Dana")
    await dana.send("/start")
    card = await dana.wait_for_message(lambda m: "★1" in m.button_texts, timeout=STARTUP_S)
    await dana.press_data(card, f"r1:{TOY_STORY}:6")  # 3 stars
    await dana.press_data(card, f"r1:{STAR_WARS}:8")  # 4 stars
    await dana.press_data(card, f"r1:{TOY_STORY}:10")  # an edit: 5 stars
    assert stored(db, DANA) == {TOY_STORY: 5.0, STAR_WARS: 4.0}

    await dana.send("/myratings")
    mine = await dana.wait_for_message(lambda m: "Your ratings" in (m.text or ""))
    await dana.press(mine, "Delete")  # the first row: the latest change, Toy Story
    await dana.wait_for_edit(mine, lambda m: "Yes, delete it" in m.button_texts)
    assert stored(db, DANA) == {TOY_STORY: 5.0, STAR_WARS: 4.0}, "one tap only asks"
    answer = await dana.press(mine, "Yes, delete it")
    assert answer.text == "Deleted Toy Story (1995) — /undo puts it back"
    assert stored(db, DANA) == {STAR_WARS: 4.0}

    await dana.send("/undo")
    undone = await dana.wait_for_message(lambda m: "back" in (m.text or ""))
    assert undone.text == "Put back your rating of Toy Story (1995): 5★."
    assert stored(db, DANA) == {TOY_STORY: 5.0, STAR_WARS: 4.0}, "not the earlier edit"

    # Watch later, then "Watched it — rate" from the watchlist.
    await dana.press_data(card, "wa1:82")
    assert listed(db, DANA) == [82]
    await dana.send("/watchlist")
    watchlist = await dana.wait_for_message(lambda m: "Your watchlist" in (m.text or ""))
    await dana.press(watchlist, "1. Watched it — rate")
    film = await dana.wait_for_message(lambda m: (m.text or "").startswith("Jurassic Park"))
    answer = await dana.press(film, "★4")
    assert answer.text == "Saved 4★ — watched, so it is off your watchlist"
    assert listed(db, DANA) == [] and stored(db, DANA)[82] == 4.0

    await dana.send("/undo")
    undone = await dana.wait_for_message(lambda m: "Took back" in (m.text or ""))
    assert undone.text == (
        "Took back your rating of Jurassic Park (1993): it is unrated again, "
        "and back on your watchlist."
    )
    assert listed(db, DANA) == [82] and 82 not in stored(db, DANA)
