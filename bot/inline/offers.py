"""What ``@<bot> <words>`` offers, with no Telegram types: the films that match the words (or,
for no words, the asker's own top recommendations), with the stars the bot predicts for the
asker when it knows their taste."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from bot.service import PERSONAL_AFTER, Film, MovieService

MAX_OFFERS = 10  # Telegram shows about this many before the user scrolls
MAX_QUERY = 200  # longer text is no title (Telegram cuts inline queries at 256)


@dataclass(frozen=True)
class Offer:
    film: Film
    stars: float | None  # predicted for the asker; None while the bot knows too little of them
    thumbnail: str | None = None  # the poster, when this process has it at hand


@dataclass(frozen=True)
class Offers:
    items: list[Offer]
    personal: bool
    """The answer depends on who asked (their stars, their recommendations): Telegram must
    not hand it to anyone else."""


async def offers(service: MovieService, user_id: int, query: str) -> Offers:
    """Films for an inline query; nothing is written (asking is not using the bot)."""
    found = await _offers(service, user_id, query)
    posters = service.posters
    if posters is None or not posters.enabled:
        return found
    items = [replace(o, thumbnail=posters.known_url(o.film.tmdb_id)) for o in found.items]
    return Offers(items, found.personal)


async def _offers(service: MovieService, user_id: int, query: str) -> Offers:
    words = " ".join(query.split())
    if not words:
        page = await service.recommend(user_id)
        items = [Offer(rec.film, rec.stars if page.personal else None) for rec in page.items]
        # Even the popular list leaves out what the asker rated or dismissed.
        return Offers(items[:MAX_OFFERS], personal=True)
    if len(words) > MAX_QUERY:
        return Offers([], personal=False)
    films = service.search(words, limit=MAX_OFFERS)
    if not films:
        return Offers([], personal=False)
    if await service.rating_count(user_id) < PERSONAL_AFTER:  # no fold-in for nothing
        return Offers([Offer(film, None) for film in films], personal=False)
    vector, _ = await service.user_vector(user_id)
    ids = np.array([film.item_id for film in films], np.int64)
    stars = service.model.predict(vector, ids).tolist()
    return Offers(
        [
            Offer(film, None if math.isnan(s) else float(s))
            for film, s in zip(films, stars, strict=True)
        ],
        personal=True,
    )
