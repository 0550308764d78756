"""What the service answers with: plain data, no Telegram types and no database rows."""

from __future__ import annotations

from dataclasses import dataclass

from bot.filters import Filter
from bot.movienight.maths import GroupSuggestion


class UnknownFilm(LookupError):
    """A film id that is not in the catalogue (a forged or stale button)."""


@dataclass(frozen=True)
class Film:
    item_id: int
    title: str
    year: int | None
    genres: tuple[str, ...]
    imdb_id: int | None = None
    tmdb_id: int | None = None
    imdb_url: str | None = None  # ML-100k gives an IMDb address instead of an id


@dataclass(frozen=True)
class Card:
    """A film to rate, with the user's current answer and how many films they rated."""

    film: Film
    rated: int
    current_stars: float | None = None
    poster: str | None = None  # the film's poster image URL (TMDB), when there is one


@dataclass(frozen=True)
class Recommendation:
    film: Film
    stars: float
    because: tuple[str, ...]  # titles of the user's liked films closest to this one


@dataclass(frozen=True)
class RecommendationPage:
    items: list[Recommendation]
    page: int
    has_more: bool
    personal: bool  # False: the popular list shown to users with too few ratings
    rated: int
    filter: Filter
    left_out: int = 0
    """Films the filter allowed but left out as likely disliked (predicted under 3 stars), when
    the list ends on this page because of them; 0 otherwise."""
    poster: str | None = None  # the first film's poster image URL, when there is one
    none_known: bool = False  # the catalogue has no film the filter allows, seen or not


@dataclass(frozen=True)
class RatedFilm:
    film: Film
    stars: float


@dataclass(frozen=True)
class RatingsPage:
    items: list[RatedFilm]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class GroupScore:
    """A movie night's suggestion, and whose taste it counted."""

    suggestion: GroupSuggestion
    counted: list[tuple[int, str]]  # (user id, first name), rows of the predictions
    left_out: list[str]  # first names of those with too few ratings to count
