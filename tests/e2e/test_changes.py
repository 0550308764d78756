"""Every change a user makes can be taken back, through the real bot over HTTP (issue 15.2,
15.4, 18.1): a deleted rating asks first and /undo puts it back; a rated film leaves the
watchlist; a Letterboxd export sent as a document is imported, and undone, whole."""

from __future__ import annotations

import io
import sqlite3
import zipfile

from botprocess import BotProcess
from conftest import STARTUP_S

from tests.fakebotapi import FakeBotApi, Fault

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


LETTERBOXD = b"""Date,Name,Year,Letterboxd URI,Rating
2021-03-04,Star Wars,1977,https://boxd.it/2a,5
2021-03-04,Toy Story,1995,https://boxd.it/2b,4.5
2021-03-05,Fargo,1996,https://boxd.it/2c,4
2021-03-05,Heat,1995,https://boxd.it/2d,4
2021-03-05,Alien,1979,https://boxd.it/2e,4.5
2021-03-06,Parasite,2019,https://boxd.it/2f,4.5
"""


async def test_a_letterboxd_zip_sent_as_a_document_is_imported_and_undone_whole(
    server: FakeBotApi, bot: BotProcess, bot_env: dict[str, str]
) -> None:
    db = bot_env["DATABASE_PATH"]
    eve = server.user(112, "Eve")
    await eve.send("/import")
    how = await eve.wait_for_message(timeout=STARTUP_S)
    assert "Export your data" in (how.text or "")

    export = io.BytesIO()
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("profile.csv", "Date Joined,Username\n2020-01-01,eve\n")
        archive.writestr("ratings.csv", LETTERBOXD)
    await eve.send_document("letterboxd-eve-2024-05-01.zip", export.getvalue())
    summary = await eve.wait_for_message(lambda m: "Imported" in (m.text or ""), timeout=30)
    assert (summary.text or "").startswith("Imported 5 ratings from your Letterboxd file.")
    assert "Parasite (2019)" in (summary.text or "")
    assert len(stored(db, 112)) == 5 and stored(db, 112)[STAR_WARS] == 5.0

    await eve.send("/recommend")
    recs = await eve.wait_for_message(lambda m: "Films for you" in (m.text or ""))
    assert "Star Wars (1977) —" not in (recs.text or "")

    await eve.send("/undo")
    undone = await eve.wait_for_message(lambda m: "Took back" in (m.text or ""))
    assert undone.text == "Took back your import: its 5 ratings are gone."
    assert stored(db, 112) == {}

    # Over 5 MB: one line, and the file is never fetched.
    await eve.send_document("ratings.csv", b"x" * (5 * 1024 * 1024 + 1))
    refused = await eve.wait_for_message(lambda m: "over 5 MB" in (m.text or ""))
    assert refused.text == "That file is over 5 MB: send only the ratings CSV."
    assert len(server.downloads) == 1 and server.calls("getFile")[0].params["file_id"]
    assert stored(db, 112) == {}

    # Telegram will not hand the file over: one line, nothing stored.
    server.inject("getFile", Fault(error_code=400, description="Bad Request: file is too big"))
    await eve.send_document("ratings.csv", LETTERBOXD)
    failed = await eve.wait_for_message(lambda m: "fetch" in (m.text or ""))
    assert failed.text == "I could not fetch that file from Telegram: send it again."
    assert stored(db, 112) == {}
