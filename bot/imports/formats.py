"""Which export a CSV is, and its ratings in the bot's stars: Letterboxd (half stars),
IMDb (1-10), or MovieLens-style ids (the bot's own /export among them)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.imports.files import BadImport, Table, unknown_format

_TT = re.compile(r"^tt0*(\d{1,10})$")
_ID_COLUMNS = ("movieid", "movielens_id", "movie_id", "item_id", "itemid")
_STAR_COLUMNS = ("rating", "stars")
# IMDb's title types that are not films, in either spelling its exports have used ("TV
# Series", "tvSeries"), lower case without spaces or hyphens. MovieLens has films, TV films,
# shorts and videos; these it never has.
_NOT_FILMS = frozenset(
    {"tvseries", "tvminiseries", "tvepisode", "videogame", "podcastseries", "podcastepisode"}
)


@dataclass(frozen=True, slots=True)
class Row:
    """One rated film as the file names it; ``stars`` in 0.5-5 steps of 0.5."""

    stars: float
    title: str = ""
    year: int | None = None
    imdb_id: int | None = None
    movie_id: int | None = None  # a MovieLens id, trusted only when no title disagrees


@dataclass(frozen=True)
class Parsed:
    source: str  # "Letterboxd", "IMDb" or "MovieLens"
    rows: list[Row]
    unreadable: int  # rows without a usable rating or film
    not_films: int = 0  # rows of TV series, episodes, games: left out


def parse(table: Table) -> Parsed:
    """The ratings in ``table``; :class:`BadImport` when no known format fits."""
    columns = table.columns
    if {"name", "year", "rating"} <= columns:
        return _rows("Letterboxd", table, _letterboxd)
    if {"const", "your rating"} <= columns:
        return _rows("IMDb", table, _imdb, _imdb_not_a_film)
    id_column = next((c for c in _ID_COLUMNS if c in columns), None)
    star_column = next((c for c in _STAR_COLUMNS if c in columns), None)
    if id_column is not None and star_column is not None:
        if "userid" in columns and len({r.get("userid") for r in table.rows}) > 1:
            raise BadImport("That file holds several people's ratings: send only yours.")
        return _rows("MovieLens", table, lambda r: _movielens(r, id_column, star_column))
    raise BadImport(unknown_format())


def _rows(
    source: str,
    table: Table,
    read: Callable[[dict[str, str]], Row | None],
    not_film: Callable[[dict[str, str]], bool] = lambda raw: False,
) -> Parsed:
    rows: dict[object, Row] = {}
    unreadable = not_films = 0
    for raw in table.rows:
        if not_film(raw):
            not_films += 1
            continue
        row = read(raw)
        if row is None:
            unreadable += 1
            continue
        key = row.imdb_id or row.movie_id or (row.title.casefold(), row.year)
        rows[key] = row  # a film listed twice: the later line wins, as in a diary
    return Parsed(source, list(rows.values()), unreadable, not_films)


def _imdb_not_a_film(raw: dict[str, str]) -> bool:
    """Whether an IMDb line's "Title Type" says it is no film (unknown or missing: a film)."""
    kind = (raw.get("title type") or "").casefold().replace(" ", "").replace("-", "")
    return kind in _NOT_FILMS


def _letterboxd(raw: dict[str, str]) -> Row | None:
    stars = _stars(raw.get("rating", ""), 1.0)
    title = raw.get("name", "").strip()
    if stars is None or not title:
        return None
    return Row(stars, title, _year(raw.get("year", "")))


def _imdb(raw: dict[str, str]) -> Row | None:
    stars = _stars(raw.get("your rating", ""), 0.5)
    match = _TT.match(raw.get("const", "").strip())
    if stars is None or match is None:
        return None
    title = (raw.get("title") or raw.get("original title") or "").strip()
    return Row(stars, title, _year(raw.get("year", "")), imdb_id=int(match.group(1)))


def _movielens(raw: dict[str, str], id_column: str, star_column: str) -> Row | None:
    stars = _stars(raw.get(star_column, ""), 1.0)
    text = raw.get(id_column, "").strip()
    if stars is None or not text.isdigit() or len(text) > 10:
        return None
    title = raw.get("title", "").strip()
    return Row(stars, title, _year(raw.get("year", "")), movie_id=int(text))


def _stars(text: str, scale: float) -> float | None:
    """``text`` times ``scale`` as bot stars (0.5-5 in halves), or None when it is not one."""
    try:
        value = float(text.strip()) * scale
    except ValueError:
        return None
    if not math.isfinite(value) or not 0.5 <= value <= 5 or (value * 2) % 1:
        return None
    return value


def _year(text: str) -> int | None:
    text = text.strip()[:4]
    return int(text) if text.isdigit() and 1870 <= int(text) <= 2100 else None
