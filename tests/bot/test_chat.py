"""The conversation without Telegram: commands, text and button presses, good and bad."""

from __future__ import annotations

import re

from bot import callbacks as cb
from bot.private.chat import EXPIRED, RATED_ALREADY, Chat, Person
from bot.replies import Reply

ADA = Person(4242, "Ada", "en")
STAR_WARS = 50


def buttons(reply: Reply) -> dict[str, str]:
    return {b.label: b.data or "" for row in reply.buttons for b in row}


def card_item(reply: Reply) -> int:
    rate = next(b.data for row in reply.buttons for b in row if b.data and b.data.startswith("r"))
    parsed = cb.parse(rate)
    assert isinstance(parsed, cb.Rate)
    return parsed.item_id


async def test_start_welcomes_then_shows_a_card(chat: Chat) -> None:
    welcome, card = await chat.command(ADA, "start")
    assert "Ada" in welcome.text and "/recommend" in welcome.text
    assert {"★1", "★5", "Haven't seen", "Skip", "Done"} <= set(buttons(card))
    [deep] = await chat.command(ADA, "start", "rate")  # t.me/<bot>?start=rate
    assert card_item(deep) == card_item(card)


async def test_ten_taps_rate_ten_films_each_editing_the_card(chat: Chat) -> None:
    [card] = await chat.command(ADA, "rate")
    rated = []
    for _ in range(10):
        item = card_item(card)
        outcome = await chat.button(ADA, buttons(card)["★4"])
        assert outcome.edit is not None and not outcome.send
        assert outcome.notice == "Saved 4★"
        rated.append(item)
        card = outcome.edit
    assert len(set(rated)) == 10
    assert await chat.service.rating_count(ADA.user_id) == 10
    assert "10 rated" in card.text
    [recs] = await chat.command(ADA, "recommend")
    assert "Films for you" in recs.text
    shown = {
        action.item_id
        for row in recs.buttons
        for b in row
        if isinstance(action := cb.parse(b.data), cb.OpenFilm)
    }
    assert len(shown) == 10, recs.buttons  # one "Rate" button for each film shown
    assert not set(rated) & shown


async def test_half_stars_and_haven_t_seen(chat: Chat) -> None:
    [card] = await chat.command(ADA, "rate")
    first = card_item(card)
    outcome = await chat.button(ADA, buttons(card)["3½"])
    assert await chat.service.storage.rating(ADA.user_id, first) == 3.5
    second = card_item(outcome.edit)  # type: ignore[arg-type]
    await chat.button(ADA, buttons(outcome.edit)["Haven't seen"])  # type: ignore[arg-type]
    assert (await chat.service.storage.dismissed(ADA.user_id))[second] == "unseen"


async def test_a_rated_film_is_never_dismissed_without_a_word(chat: Chat) -> None:
    await chat.button(ADA, cb.build(cb.Rate(STAR_WARS, 4.0)))
    opened = await chat.button(ADA, cb.build(cb.OpenFilm(STAR_WARS)))
    [card] = opened.send
    assert "You rated it" in card.text
    assert "Haven't seen" not in buttons(card) and "Skip" not in buttons(card)
    assert {"★1", "★5", "Done"} <= set(buttons(card))
    # An old card's button, pressed after the rating: the rating stays, and the user is told.
    stale = await chat.button(ADA, cb.build(cb.Dismiss(STAR_WARS, "unseen")))
    assert stale.notice == RATED_ALREADY and stale.edit is None
    assert await chat.service.storage.rating(ADA.user_id, STAR_WARS) == 4.0
    assert await chat.service.storage.dismissed(ADA.user_id) == {}


async def test_forged_and_stale_buttons_change_nothing(chat: Chat) -> None:
    await chat.command(ADA, "start")
    for data in ["", "r1:50:11", "r1:50:0", "r1:-5:8", "xx:1", "r1:99999999:8", "r0:50:8", "∞"]:
        outcome = await chat.button(ADA, data)
        assert outcome.notice == EXPIRED and outcome.edit is None and not outcome.send
    assert await chat.service.rating_count(ADA.user_id) == 0
    assert await chat.service.storage.rated_and_dismissed(ADA.user_id) == ({}, set())


async def test_a_second_tap_on_an_old_card_does_not_skip_a_film(chat: Chat) -> None:
    [card] = await chat.command(ADA, "rate")
    tap = buttons(card)["★5"]
    first = await chat.button(ADA, tap)
    second = await chat.button(ADA, tap)  # same data again: same state, same next card
    assert first.edit == second.edit
    assert await chat.service.rating_count(ADA.user_id) == 1


async def test_a_title_that_names_one_film_brings_its_card(chat: Chat) -> None:
    # It answered "Is it one of these?" with one button to press for the card.
    [card] = await chat.text(ADA, "star wars")
    assert card.text.startswith("<b>Star Wars</b> (1977)") and card_item(card) == STAR_WARS
    await chat.button(ADA, buttons(card)["★5"])
    [again] = await chat.text(ADA, "Star Wars")
    assert "You rated it 5★" in again.text and "Haven't seen" not in buttons(again)
    [choice] = await chat.text(ADA, "star")  # names no film clearly
    assert "Is it one of these?" in choice.text and len(buttons(choice)) > 1
    [search] = await chat.command(ADA, "search", "star wars")  # /search still lists
    assert "Is it one of these?" in search.text


async def test_a_genre_or_years_searched_as_a_title_points_to_recommend(chat: Chat) -> None:
    # "/search comedy" said "I don't know “comedy”. My films come from ml-100k, …".
    [genre] = await chat.command(ADA, "search", "comedy")
    assert genre.text == "“comedy” names no film I know. Did you mean /recommend comedy?"
    [typed] = await chat.text(ADA, "western  1990s")
    assert typed.text.endswith("Did you mean /recommend western 1990s?")
    [later] = await chat.text(ADA, "2015")
    assert later.text.startswith("No film of mine matches “2015”: my films come from ml-100k")
    [title] = await chat.text(ADA, "the matrix")  # not a filter: the catalogue's limits
    assert "stops in 1998" in title.text and "/recommend" not in title.text


async def test_unknown_commands_and_odd_text(chat: Chat) -> None:
    [reply] = await chat.command(ADA, "frobnicate")
    assert "/help" in reply.text and "frobnicate" in reply.text
    [reply] = await chat.text(ADA, "x" * 10_000)
    assert "too long" in reply.text
    [reply] = await chat.text(ADA, "שלום 🎬 <b>&")
    assert "<b>&" not in reply.text  # escaped for HTML
    [reply] = await chat.command(ADA, "recommend", "klingon opera")
    assert "don't know the genre" in reply.text
    assert await chat.service.rating_count(ADA.user_id) == 0


async def test_help_tells_of_movie_nights(chat: Chat) -> None:
    [reply] = await chat.command(ADA, "help")
    assert "/movienight" in reply.text and "/map" in reply.text


async def test_undo_myratings_delete_and_export(chat: Chat) -> None:
    await chat.button(ADA, cb.build(cb.Rate(STAR_WARS, 5.0)))
    await chat.button(ADA, cb.build(cb.Rate(1, 2.0)))
    [undone] = await chat.command(ADA, "undo")
    assert undone.text == "Took back your rating of <b>Toy Story</b> (1995): it is unrated again."
    [mine] = await chat.command(ADA, "myratings")
    assert "Star Wars" in mine.text and "Toy Story" not in mine.text
    [export] = await chat.command(ADA, "export")
    assert export.document is not None and b"Star Wars" in export.document[1]
    assert export.text == "Your ratings of 1 film, as a CSV file (/import reads it back)."
    asked = await chat.button(ADA, buttons(mine)["Delete"])
    assert asked.edit is not None and "Delete your rating of" in asked.edit.text
    assert await chat.service.rating_count(ADA.user_id) == 1  # one tap only asks
    kept = await chat.button(ADA, buttons(asked.edit)["Keep it"])
    assert kept.edit is not None and "Star Wars" in kept.edit.text
    assert await chat.service.rating_count(ADA.user_id) == 1
    outcome = await chat.button(ADA, buttons(asked.edit)["Yes, delete it"])
    assert outcome.notice == "Deleted Star Wars (1977) — /undo puts it back"
    assert await chat.service.rating_count(ADA.user_id) == 0
    again = await chat.button(ADA, buttons(asked.edit)["Yes, delete it"])
    assert again.notice == "Already gone"


async def test_undo_puts_back_a_deleted_rating_not_an_earlier_edit(chat: Chat) -> None:
    """Issue 15.2: /myratings → Delete → /undo took back an earlier re-rating instead."""
    await chat.button(ADA, cb.build(cb.Rate(1, 3.0)))
    await chat.button(ADA, cb.build(cb.Rate(STAR_WARS, 3.0)))
    await chat.button(ADA, cb.build(cb.Rate(1, 4.0)))  # an edit
    await chat.button(ADA, cb.build(cb.DeleteRatingConfirm(STAR_WARS)))
    [undone] = await chat.command(ADA, "undo")
    assert undone.text == "Put back your rating of <b>Star Wars</b> (1977): 3★."
    assert await chat.service.storage.rating(ADA.user_id, STAR_WARS) == 3.0
    assert await chat.service.storage.rating(ADA.user_id, 1) == 4.0  # the edit stands
    [undone] = await chat.command(ADA, "undo")
    assert undone.text == "Took back your rating of <b>Toy Story</b> (1995): it is back to 3★."


async def test_undo_takes_back_every_kind_of_change_and_says_which(chat: Chat) -> None:
    service = chat.service
    await chat.button(ADA, cb.build(cb.Dismiss(STAR_WARS, "unseen")))
    await chat.button(ADA, cb.build(cb.WatchLater(1)))
    await chat.button(ADA, cb.build(cb.WatchLater(2)))
    await chat.button(ADA, cb.build(cb.WatchRemove(2)))
    await chat.button(ADA, cb.build(cb.NotInterested(3)))
    await chat.button(ADA, cb.build(cb.Dismiss(4, "skipped")))
    said = [(await chat.command(ADA, "undo"))[0].text for _ in range(7)]
    assert said == [
        "Took back “skip” for <b>Get Shorty</b> (1995): it is unrated again.",
        "Took back “not interested” for <b>Four Rooms</b> (1995): it is unrated again.",
        "Put <b>GoldenEye</b> (1995) back on your watchlist.",
        "Took back “watch later”: <b>GoldenEye</b> (1995) is off your watchlist again.",
        "Took back “watch later”: <b>Toy Story</b> (1995) is off your watchlist again.",
        "Took back “haven't seen” for <b>Star Wars</b> (1977): it is unrated again.",
        "Nothing to undo.",
    ]
    assert await service.watchlist(ADA.user_id) == []
    assert await service.storage.dismissed(ADA.user_id) == {}


async def test_rating_a_film_from_the_watchlist_takes_it_off_and_says_so(chat: Chat) -> None:
    """Issue 15.4: a film rated after "Watched it — rate" stayed on the watchlist."""
    await chat.button(ADA, cb.build(cb.WatchLater(STAR_WARS)))
    [listed] = await chat.command(ADA, "watchlist")
    opened = await chat.button(ADA, buttons(listed)["1. Watched it — rate"])
    [card] = opened.send
    outcome = await chat.button(ADA, buttons(card)["★4"])
    assert outcome.notice == "Saved 4★ — watched, so it is off your watchlist"
    [after] = await chat.command(ADA, "watchlist")
    assert "empty" in after.text
    [undone] = await chat.command(ADA, "undo")
    assert undone.text == (
        "Took back your rating of <b>Star Wars</b> (1977): it is unrated again, "
        "and back on your watchlist."
    )
    assert [f.item_id for f in await chat.service.watchlist(ADA.user_id)] == [STAR_WARS]
    outcome = await chat.button(ADA, buttons(card)["★4"])
    outcome = await chat.button(ADA, cb.build(cb.Rate(STAR_WARS, 5.0)))
    assert outcome.notice == "Saved 5★"  # a re-rating: it was off the list already


async def test_forget_needs_the_confirmation_button(chat: Chat) -> None:
    await chat.button(ADA, cb.build(cb.Rate(STAR_WARS, 5.0)))
    [prompt] = await chat.command(ADA, "forget")
    assert await chat.service.rating_count(ADA.user_id) == 1
    await chat.button(ADA, buttons(prompt)["Cancel"])
    assert await chat.service.rating_count(ADA.user_id) == 1
    outcome = await chat.button(ADA, buttons(prompt)["Yes, forget me"])
    assert "forgotten" in (outcome.edit.text if outcome.edit else "")
    assert await chat.service.rating_count(ADA.user_id) == 0


async def test_more_pages_with_a_filter(chat: Chat) -> None:
    for item in range(1, 8):
        await chat.button(ADA, cb.build(cb.Rate(item, 4.0)))
    [first] = await chat.command(ADA, "recommend", "drama")
    outcome = await chat.button(ADA, buttons(first)["More"])
    [second] = outcome.send
    assert "page 2" in second.text and "drama" in second.text
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", second.text, re.M)]
    assert numbers[0] == 11


async def test_a_filter_no_film_matches_says_so_not_that_all_were_seen(chat: Chat) -> None:
    # It said "I have nothing left to suggest in 2010s" to someone who had rated nothing.
    [later] = await chat.command(ADA, "recommend", "2010s")
    assert later.text == (
        "No film of mine matches “2010s”: my films come from ml-100k, which stops in 1998."
    )
    [none] = await chat.command(ADA, "recommend", "documentary 1940s")
    assert none.text == "No film of mine matches “documentary from the 1940s”. Try another filter."
    assert not later.buttons and not none.buttons


async def test_map_is_a_png_after_a_few_ratings(chat: Chat) -> None:
    [early] = await chat.command(ADA, "map")
    assert early.photo is None and "at least 5" in early.text
    for item in (50, 172, 181, 1, 127, 100):
        await chat.button(ADA, cb.build(cb.Rate(item, 4.0)))
    [reply] = await chat.command(ADA, "map")
    assert reply.photo is not None and reply.photo.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(reply.photo) > 50_000


async def test_similar_asks_when_the_title_names_no_film_clearly(chat: Chat) -> None:
    [asked] = await chat.command(ADA, "similar", "star")
    assert "Did you mean" in asked.text
    offered = buttons(asked)
    assert "Star Wars (1977)" in offered and len(offered) > 1
    pressed = await chat.button(ADA, offered["Star Wars (1977)"])
    [answer] = pressed.send
    assert answer.text == "<b>Films like Star Wars (1977)</b>" and answer.buttons


async def test_similar_answers_at_once_for_a_clear_title(chat: Chat) -> None:
    for query in ("star wars", "strar wars", "cape fear 1962"):
        [reply] = await chat.command(ADA, "similar", query)
        assert reply.text.startswith("<b>Films like "), (query, reply.text)
    [twice] = await chat.command(ADA, "similar", "cape fear")  # 1962 and 1991
    assert set(buttons(twice)) == {"Cape Fear (1991)", "Cape Fear (1962)"}
    [lacking] = await chat.command(ADA, "similar", "the matrix")
    assert "I don't know" in lacking.text and not lacking.buttons


async def test_one_story_of_how_many_ratings_make_recommend_personal(chat: Chat) -> None:
    [_, card] = await chat.command(ADA, "start")
    said = []
    for _ in range(6):
        pressed = await chat.button(ADA, buttons(card)["★4"])
        assert pressed.edit is not None
        card = pressed.edit
        line = re.search(r"\d+ rated — [^\n]*", card.text)
        assert line is not None, card.text
        said.append(line.group(0))
    assert said[0] == "1 rated — 4 more and /recommend picks films for you alone."
    assert said[4] == "5 rated — /recommend is yours; every rating sharpens it."
    assert not any("after 10" in line for line in said)
