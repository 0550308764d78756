"""What the bot does, with no Telegram types: for one person (:class:`MovieService`) and for
a group's movie night (:class:`NightService`); plain data in and out (bot/service/types.py)."""

from bot.service.movies import (
    MAX_PAGES,
    PAGE_SIZE,
    PERSONAL_AFTER,
    MovieService,
)
from bot.service.nights import NightService
from bot.service.types import (
    Card,
    Film,
    GroupScore,
    RatedFilm,
    RatingsPage,
    Recommendation,
    RecommendationPage,
    UnknownFilm,
)

__all__ = [
    "MAX_PAGES",
    "PAGE_SIZE",
    "PERSONAL_AFTER",
    "Card",
    "Film",
    "GroupScore",
    "MovieService",
    "NightService",
    "RatedFilm",
    "RatingsPage",
    "Recommendation",
    "RecommendationPage",
    "UnknownFilm",
]
