"""A /recommend list agrees with itself (issue 15.5): the order and the stars beside each film,
the reasons given, and what a narrow filter leaves."""

from __future__ import annotations

import pytest

from bot.filters import parse_filter
from bot.private import views
from bot.private.commands import recommend_page
from bot.service import MAX_PAGES, PAGE_SIZE, MovieService
from recsys.alike import NEAR, Alike

USER = 4242
STAR_WARS, TOY_STORY, FARGO, INDEPENDENCE_DAY = 50, 1, 100, 121
# Liked films of several kinds, some disliked: a taste with reasons to give and films to avoid.
TASTE = {
    STAR_WARS: 5.0, 172: 5.0, TOY_STORY: 4.5, FARGO: 4.0, INDEPENDENCE_DAY: 4.0, 98: 4.5,
    127: 2.0, 56: 1.5, 174: 4.0, 313: 1.0, 69: 2.0, 7: 3.0, 237: 1.0, 288: 3.5,
}  # fmt: skip
# Loves popular classics, hates the most watched westerns: few westerns look like a fit.
# The eight most rated westerns, hated: with a model trained on all of ML-100k only a few of the
# other westerns still predict 3 stars or more (3 at the time of writing, margin both ways).
WESTERNS_HATED = {item: 1.0 for item in (97, 435, 203, 177, 73, 510, 470, 232)}
WESTERNS_HATED |= {item: 5.0 for item in (50, 172, 181, 100, 98, 127, 174, 64)}
# Someone who gives nearly every film 1 star: their 1 is not a miss, it is how they rate.
GRUMPY = {item: 1.0 for item in (50, 100, 181, 258, 294, 286, 288, 1, 300, 121, 174, 127)}
GRUMPY[98] = 2.0


async def rate(service: MovieService, ratings: dict[int, float]) -> None:
    await service.register(USER, "Ada", "en")
    for item, stars in ratings.items():
        await service.rate(USER, item, stars)


@pytest.mark.parametrize("text", ["", "comedy", "romance", "sci-fi 1980-1989", "1990s"])
async def test_every_page_goes_by_the_stars_it_shows(service: MovieService, text: str) -> None:
    await rate(service, TASTE)
    chosen = parse_filter(text, service.genres)
    for page in range(3):
        result = await service.recommend(USER, chosen, page)
        shown = [round(r.stars, 1) for r in result.items]
        assert shown == sorted(shown, reverse=True), (page, shown)
        assert all(stars >= 3.0 for stars in shown)
        if not result.has_more:
            break


async def test_a_reason_is_always_a_near_film(service: MovieService) -> None:
    await rate(service, TASTE)
    alike = Alike(service.model, service.catalog)
    titles = {service.film(i).title: i for i in TASTE}
    reasons = 0
    for page in range(3):
        for rec in (await service.recommend(USER, None, page)).items:
            near = set(alike.near(rec.film.item_id).tolist())
            assert len(near) == NEAR
            for title in rec.because:
                assert titles[title] in near, (rec.film.title, title)
                assert TASTE[titles[title]] >= 4.0
                reasons += 1
            assert len(rec.because) == len(set(rec.because))
    assert reasons > 0  # the check above checked something


async def test_one_liked_film_does_not_explain_the_whole_page(service: MovieService) -> None:
    await rate(service, TASTE)
    result = await service.recommend(USER)
    named = [title for rec in result.items for title in rec.because]
    assert max(named.count(title) for title in set(named)) <= 2


async def test_a_narrow_filter_says_so(service: MovieService) -> None:
    await rate(service, WESTERNS_HATED)
    chosen = parse_filter("western", service.genres)
    reply = await recommend_page(service, USER, chosen, 0)
    assert "look like a good fit" in reply.text and "Try a wider filter." in reply.text
    result = await service.recommend(USER, chosen)
    assert len(result.items) < PAGE_SIZE and not result.has_more and result.left_out > 0
    assert all(r.stars >= 3.0 for r in result.items)


@pytest.mark.parametrize("page", [0, MAX_PAGES - 1])
async def test_a_list_that_goes_on_says_nothing_of_a_short_list(
    service: MovieService, page: int
) -> None:
    await rate(service, TASTE)
    reply = await recommend_page(service, USER, parse_filter("", service.genres), page)
    assert "good fit" not in reply.text  # the last page allowed is not the end of the films


async def test_someone_who_rates_low_still_gets_a_list(service: MovieService) -> None:
    await rate(service, GRUMPY)
    result = await service.recommend(USER)
    assert len(result.items) == PAGE_SIZE and result.left_out == 0
    shown = [round(r.stars, 1) for r in result.items]
    assert shown == sorted(shown, reverse=True)


@pytest.mark.parametrize(
    ("shown", "described", "expected"),
    [
        (0, "western", "Nothing in western looks like a good fit: I expect you to rate all 5 I"),
        (1, "western", "Only 1 film in western looks like a good fit: I expect you to rate the"),
        (3, "", "Only 3 films look like a good fit: I expect you to rate the other 5 low. Rate"),
    ],
)
def test_the_short_list_notice_reads_right(shown: int, described: str, expected: str) -> None:
    assert views.narrow(5, shown, described).startswith(expected)
