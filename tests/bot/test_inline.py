"""What ``@bot <words>`` offers (real model, real SQLite), the answer's JSON, and the
``film_<id>`` link back into the bot."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from bot.inline import views
from bot.inline.deeplink import film_link, parse_film
from bot.inline.offers import MAX_OFFERS, offers
from bot.private.chat import Chat, Person
from bot.private.commands import BROKEN_FILM_LINK
from bot.service import MovieService

HEAT, STAR_WARS = 273, 50
ADA = Person(4242, "Ada", "en")


def test_film_links_round_trip_and_nothing_else_parses() -> None:
    assert film_link("moviebot", HEAT) == "https://t.me/moviebot?start=film_273"
    assert parse_film("film_273") == HEAT
    for forged in ("film_0273", "film_-1", "film_", "film_2147483648", "film_1 ", "rate", ""):
        assert parse_film(forged) is None, forged


@given(st.integers(0, 2**31 - 1))
def test_every_film_id_survives_its_link(item_id: int) -> None:
    payload = film_link("b", item_id).split("start=", 1)[1]
    assert len(payload) <= 64 and parse_film(payload) == item_id


async def test_a_stranger_gets_titles_without_stars_shared_by_everyone(
    service: MovieService,
) -> None:
    found = await offers(service, 1, "  heat  ")
    assert found.items[0].film.item_id == HEAT
    assert not found.personal and all(o.stars is None for o in found.items)
    assert len(found.items) <= MAX_OFFERS
    answer = views.answer("q", found, "moviebot")
    assert answer["cache_time"] == views.SHARED_CACHE_S and answer["is_personal"] is False
    assert answer["button"]["start_parameter"] == "rate"
    json.dumps(answer)  # JSON-ready as it goes on the wire
    assert await service.storage.user(1) is None, "asking inline registers nobody"


async def test_a_regular_gets_their_stars_for_them_alone(service: MovieService) -> None:
    await service.register(7, "Eve", "en")
    for item in (1, 2, 3, 4, 5, STAR_WARS):
        await service.rate(7, item, 5.0)
    titled = await offers(service, 7, "heat")
    assert titled.personal and titled.items[0].stars is not None
    assert 0.5 <= titled.items[0].stars <= 5.0
    mine = await offers(service, 7, "")
    assert mine.personal and len(mine.items) == MAX_OFFERS
    assert STAR_WARS not in {o.film.item_id for o in mine.items}  # rated: never offered
    answer = views.answer("q", mine, "moviebot")
    assert answer["cache_time"] == views.PERSONAL_CACHE_S and answer["is_personal"] is True
    assert "button" not in answer
    assert all(r["description"].endswith("for you") for r in answer["results"])


async def test_unknown_or_overlong_words_offer_nothing(service: MovieService) -> None:
    assert (await offers(service, 1, "qzxvw jjjkq")).items == []
    assert (await offers(service, 1, "heat " * 100)).items == []


async def test_start_with_a_film_link_shows_that_films_card(chat: Chat) -> None:
    [card] = await chat.command(ADA, "start", f"film_{HEAT}")
    assert card.text.startswith("<b>Heat</b> (1995)")
    assert {"★1", "★5"} <= {b.label for row in card.buttons for b in row}
    for stale in ("film_99999999", "film_x"):
        [reply] = await chat.command(ADA, "start", stale)
        assert reply.text == BROKEN_FILM_LINK
