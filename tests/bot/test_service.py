"""The service layer with no Telegram types: rating flow, recommend, search, forget."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from bot.filters import parse_filter
from bot.service import PAGE_SIZE, PERSONAL_AFTER, MovieService, UnknownFilm

USER = 4242
STAR_WARS, EMPIRE, JEDI, TOY_STORY = 50, 172, 181, 1


async def rate_some(service: MovieService, ratings: dict[int, float]) -> None:
    await service.register(USER, "Ada", "en")
    for item, stars in ratings.items():
        await service.rate(USER, item, stars)


async def test_cards_never_repeat_an_answered_film(service: MovieService) -> None:
    await service.register(USER, "Ada", "en")
    seen = []
    for step in range(12):
        card = await service.next_card(USER)
        assert card is not None and card.rated == len([s for s in seen if s[1]])
        assert card.film.item_id not in [item for item, _ in seen]
        if step % 3 == 2:
            await service.dismiss(USER, card.film.item_id, "unseen")
            seen.append((card.film.item_id, False))
        else:
            await service.rate(USER, card.film.item_id, 4.0)
            seen.append((card.film.item_id, True))


async def test_next_card_is_the_same_for_the_same_answers(service: MovieService) -> None:
    await rate_some(service, {STAR_WARS: 5.0})
    first = await service.next_card(USER)
    second = await service.next_card(USER)
    assert first == second  # a double tap lands on the same next film, never skips one


async def test_cold_user_gets_the_popular_list(service: MovieService) -> None:
    await service.register(USER, "Ada", "en")
    page = await service.recommend(USER)
    assert not page.personal and len(page.items) == PAGE_SIZE
    model = service.model
    popularity = dict(zip(model.item_ids.tolist(), model.item_popularity.tolist(), strict=True))
    shown = [popularity[r.film.item_id] for r in page.items]
    assert min(shown) >= np.sort(list(popularity.values()))[-40]


async def test_a_star_wars_fan_gets_the_sequels_with_a_reason(service: MovieService) -> None:
    await rate_some(service, {STAR_WARS: 5, TOY_STORY: 2, 127: 2, 100: 3, 56: 2, 98: 3})
    page = await service.recommend(USER)
    assert page.personal and page.rated == 6
    ids = [r.film.item_id for r in page.items]
    assert EMPIRE in ids or JEDI in ids
    assert not {STAR_WARS, TOY_STORY, 127, 100, 56, 98} & set(ids)
    sequel = next(r for r in page.items if r.film.item_id in (EMPIRE, JEDI))
    assert sequel.because == ("Star Wars",)
    assert all(1 <= r.stars <= 5 for r in page.items)


async def test_dismissed_films_never_come_back_and_pages_do_not_overlap(
    service: MovieService,
) -> None:
    await rate_some(service, {i: 4.0 for i in range(1, PERSONAL_AFTER + 3)})
    first = await service.recommend(USER)
    dropped = first.items[0].film.item_id
    await service.not_interested(USER, dropped)
    again = await service.recommend(USER)
    assert dropped not in [r.film.item_id for r in again.items]
    second = await service.recommend(USER, page=1)
    assert not {r.film.item_id for r in again.items} & {r.film.item_id for r in second.items}
    assert again.has_more


async def test_genre_and_decade_filters(service: MovieService) -> None:
    await rate_some(service, {i: 4.0 for i in range(1, 10)})
    comedy = await service.recommend(USER, parse_filter("comedy 1990s", service.genres))
    assert comedy.items
    for rec in comedy.items:
        assert "Comedy" in rec.film.genres and 1990 <= (rec.film.year or 0) <= 1999


async def test_undo_restores_the_previous_answer(service: MovieService) -> None:
    await rate_some(service, {STAR_WARS: 3.0})
    await service.rate(USER, STAR_WARS, 5.0)
    undone = await service.undo(USER)
    assert undone is not None
    change, films = undone
    assert films[STAR_WARS].title == "Star Wars" and change.kind == "rated"
    assert await service.storage.rating(USER, STAR_WARS) == 3.0


async def test_unknown_films_are_refused(service: MovieService) -> None:
    await service.register(USER, "Ada", "en")
    with pytest.raises(UnknownFilm):
        await service.rate(USER, 99_999_999, 4.0)
    assert await service.rating_count(USER) == 0


def test_search_tolerates_case_accents_articles_typos_and_years(service: MovieService) -> None:
    def first(query: str) -> str:
        return service.search(query)[0].title

    assert first("toy story") == "Toy Story"
    assert first("SHAWSHANK redemption") == "The Shawshank Redemption"
    assert first("shawshank") == "The Shawshank Redemption"
    assert first("the godfathr") == "The Godfather"
    assert first("godfather 1974").startswith("The Godfather: Part II")
    assert service.search("qqqq zzzz xxxx") == []
    assert first("star wars" + " " * 10_000 + "!") == "Star Wars"  # cut, not choked on
    assert service.search("   ") == []


async def test_similar_films_and_watchlist(service: MovieService) -> None:
    assert EMPIRE in [f.item_id for f in await service.similar(STAR_WARS)]
    await service.register(USER, "Ada", "en")
    assert await service.watch_later(USER, EMPIRE)
    assert not await service.watch_later(USER, EMPIRE)
    assert [f.item_id for f in await service.watchlist(USER)] == [EMPIRE]
    await service.unwatch(USER, EMPIRE)
    assert await service.watchlist(USER) == []


async def test_forget_deletes_everything_about_the_user_only(service: MovieService) -> None:
    await rate_some(service, {STAR_WARS: 5.0, TOY_STORY: 4.0})
    await service.watch_later(USER, EMPIRE)
    await service.register(7, "Bob", None)
    await service.rate(7, STAR_WARS, 2.0)
    assert await service.forget(USER)
    assert await service.rating_count(USER) == 0
    assert await service.watchlist(USER) == []
    assert await service.rating_count(7) == 1


async def test_register_writes_once_per_user_until_something_changes(
    service: MovieService,
) -> None:
    storage = service.storage
    assert await service.register(USER, "Ada", "en")
    await storage.set_blocked(USER, True)  # behind the service's back: not seen by it
    assert not await service.register(USER, "Ada", "en")
    assert (await storage.user(USER)).blocked, "a fresh registration is not written again"

    assert not await service.register(USER, "Ada L.", "en")  # a new name is written
    user = await storage.user(USER)
    assert (user.first_name, user.blocked) == ("Ada L.", False)

    await service.mark_blocked(USER)
    assert (await storage.user(USER)).blocked
    await service.register(USER, "Ada L.", "en")  # writing again unblocks
    assert not (await storage.user(USER)).blocked

    await service.forget(USER)
    assert await service.register(USER, "Ada L.", "en"), "a forgotten user is new again"
    await service.rate(USER, STAR_WARS, 4.0)  # the row exists: no foreign-key error


async def test_export_is_csv_of_the_ratings(service: MovieService) -> None:
    await rate_some(service, {STAR_WARS: 5.0, TOY_STORY: 3.5})
    rows = list(csv.DictReader(io.StringIO(await service.export_csv(USER))))
    assert {(r["title"], r["year"], r["stars"]) for r in rows} == {
        ("Star Wars", "1977", "5"),
        ("Toy Story", "1995", "3.5"),
    }
