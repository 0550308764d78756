"""/similar through the service, on the real MovieLens 100k (issue 15.6)."""

from __future__ import annotations

from bot.service import MovieService

TOY_STORY, TITANIC = 1, 313


async def test_toy_story_brings_animated_and_childrens_films(service: MovieService) -> None:
    films = await service.similar(TOY_STORY)
    assert len(films) == 10 and TOY_STORY not in [f.item_id for f in films]
    assert sum(bool(set(f.genres) & {"Animation", "Children's"}) for f in films) >= 3


async def test_titanic_brings_more_than_its_release_year(service: MovieService) -> None:
    films = await service.similar(TITANIC)
    assert sum(f.year in (1997, 1998) for f in films) <= 4
