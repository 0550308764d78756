"""What the bot does for one person, with no Telegram types: rate, recommend, search,
watchlist, forget.

Every method takes plain ids and returns plain data (bot/service/types.py); the chat layer
turns them into messages and buttons, for Telegram or the console alike. Every write is
awaited (committed) before a method returns, so a reply never promises what a crash could lose.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np

from bot.filters import Filter
from bot.posters import Posters
from bot.search import TitleIndex
from bot.service.types import (
    Card,
    Film,
    RatedFilm,
    RatingsPage,
    Recommendation,
    RecommendationPage,
    UnknownFilm,
)
from bot.storage import Change, DismissKind, Rated, Rating, Storage
from recsys import FactorModel, UserVector
from recsys.alike import Alike, genre_bits
from recsys.data import Catalog
from recsys.elicit import next_items
from recsys.plots import build_user_map, png_bytes
from recsys.serving import (
    because,
    by_predicted_stars,
    known_films,
    likely_liked,
    rating_arrays,
)

log = logging.getLogger(__name__)

PERSONAL_AFTER = 5  # ratings before /recommend stops showing the popular list
PAGE_SIZE = 10
MAX_PAGES = 10
REGISTER_EVERY_S = 300.0  # how fresh users.last_seen_at and names are kept
MAX_REGISTERED = 100_000  # users remembered as registered before the memory starts over

NextItems = Callable[..., np.ndarray]


class MovieService:
    """The bot's behaviour over one storage, one model and its catalogue.

    ``model`` may be swapped while the bot runs (:meth:`swap_model`); each call reads it once.
    """

    def __init__(
        self,
        storage: Storage,
        model: FactorModel,
        catalog: Catalog,
        ask_next: NextItems = next_items,
        posters: Posters | None = None,
    ) -> None:
        self.storage = storage
        self.posters = posters
        self.catalog = catalog
        self.ask_next = ask_next
        self.model = model
        self.titles = TitleIndex(catalog, self._popularity(model))
        self.genres = catalog.all_genres
        self._films: dict[int, Film] = {}
        # The catalogue's columns as plain lists, read once: a pandas lookup per field of a
        # film not yet memoised took 0.27 ms, and a /similar over 59k films meets new ones.
        frame = catalog.frame
        self._film_rows = {int(i): n for n, i in enumerate(frame.index)}
        self._film_columns = (
            frame["title"].tolist(),
            [_optional(y) for y in frame["year"].tolist()],
            list(frame["genres"]),
            [_optional(i) for i in frame["imdb_id"].tolist()],
        )
        self._catalogued_for: tuple[FactorModel, np.ndarray | None] | None = None
        self._genre_bits = genre_bits(catalog)
        self._alike: Alike | None = None
        self._registered: dict[int, tuple[str, str | None, float]] = {}
        """user id -> (first name, language, monotonic time) of the last write by register."""

    def swap_model(self, model: FactorModel) -> None:
        self.model = model

    @staticmethod
    def _popularity(model: FactorModel) -> dict[int, float]:
        return dict(zip(model.item_ids.tolist(), model.item_popularity.tolist(), strict=True))

    # ------------------------------------------------------------------ films

    def film(self, item_id: int) -> Film:
        """The catalogue's film, memoised."""
        film = self._films.get(item_id)
        if film is not None:
            return film
        row = self._film_rows.get(item_id)
        if row is None:
            raise UnknownFilm(item_id)
        film = Film(
            item_id,
            self.catalog.title(item_id),
            self.catalog.year(item_id),
            self.catalog.genres(item_id),
            self.catalog.imdb_id(item_id),
            self.catalog.tmdb_id(item_id),
            self.catalog.imdb_url(item_id),
        )
        self._films[item_id] = film
        return film

    def rateable(self, item_id: int) -> bool:
        return item_id in self.catalog

    # ------------------------------------------------------------------ rating

    async def register(self, user_id: int, first_name: str, language: str | None) -> bool:
        """Remember the user; True the first time.

        Every update calls this, so a user written in the last ``REGISTER_EVERY_S`` seconds
        under the same name and language is not written again (the write was a third of a
        rating tap's database work).
        """
        now = time.monotonic()
        known = self._registered.get(user_id)
        fresh = known is not None and now - known[2] < REGISTER_EVERY_S
        if fresh and known is not None and known[:2] == (first_name, language):
            return False
        try:
            created = await self.storage.ensure_user(user_id, first_name, language)
        except sqlite3.Error as error:  # bookkeeping: reads can still be answered
            log.warning("could not record user %d: %s", user_id, error)
            if await self.storage.user(user_id) is None:
                return False  # try again next time: their writes need the row
            created = False
        if len(self._registered) >= MAX_REGISTERED:
            self._registered.clear()
        self._registered[user_id] = (first_name, language, now)
        return created

    async def mark_blocked(self, user_id: int) -> None:
        """The user blocked the bot: stop writing to them until they write again."""
        self._registered.pop(user_id, None)  # so that their next update clears the mark
        await self.storage.set_blocked(user_id, True)

    async def next_card(self, user_id: int) -> Card | None:
        """The film to ask about next (None when the catalogue is exhausted).

        The choice is a pure function of the user's answers so far: two taps on the same
        card arrive at the same next film instead of skipping one.
        """
        ratings, dismissed = await self.storage.rated_and_dismissed(user_id)
        answered = ratings.keys() | dismissed
        model = self.model
        known = [(item, stars) for item, stars in ratings.items() if item in self.catalog]
        rng = np.random.default_rng([user_id % 2**32, len(answered)])
        choice = self.ask_next(
            model,
            np.array([item for item, _ in known], np.int64),
            np.array([stars for _, stars in known], np.float32),
            np.fromiter(answered, np.int64, len(answered)),
            1,
            candidates=self._catalogued(model),
            rng=rng,
        )
        if len(choice) == 0:
            return None
        film = self.film(int(choice[0]))
        return Card(film, len(ratings), poster=await self.poster(film))

    def _catalogued(self, model: FactorModel) -> np.ndarray | None:
        """The model's films that the catalogue has (None: all of them); once per model."""
        cached = self._catalogued_for
        if cached is not None and cached[0] is model:
            return cached[1]
        inside = known_films(model, self.catalog)
        found = None if len(inside) == model.n_items else inside
        self._catalogued_for = (model, found)
        return found

    async def card(self, user_id: int, item_id: int) -> Card:
        film = self.film(item_id)
        return Card(
            film,
            await self.storage.rating_count(user_id),
            await self.storage.rating(user_id, item_id),
            await self.poster(film),
        )

    async def poster(self, film: Film) -> str | None:
        """The film's poster URL; None without TMDB, or while it fails (never waits > 2 s)."""
        return None if self.posters is None else await self.posters.url(film.tmdb_id)

    async def rate(self, user_id: int, item_id: int, stars: float) -> Rated:
        """Store a rating (committed on return): the previous stars, if any, and whether the
        film left the watchlist."""
        self.film(item_id)
        return await self.storage.rate_film(user_id, item_id, stars)

    async def dismiss(self, user_id: int, item_id: int, kind: DismissKind) -> bool:
        """Record a dismissal; False, and nothing changed, for a film the user has rated (an
        old card's "Haven't seen" must not delete a rating without a word)."""
        self.film(item_id)
        if await self.storage.rating(user_id, item_id) is not None:
            return False
        await self.storage.dismiss(user_id, item_id, kind)
        return True

    async def undo(self, user_id: int) -> tuple[Change, dict[int, Film]] | None:
        """Take back the user's latest change; with the catalogue's films it put back."""
        change = await self.storage.undo(user_id)
        if change is None:
            return None
        films = {r.item_id: self.film(r.item_id) for r in change.films if r.item_id in self.catalog}
        return change, films

    async def rating_count(self, user_id: int) -> int:
        return await self.storage.rating_count(user_id)

    # ------------------------------------------------------------------ recommending

    async def user_vector(self, user_id: int) -> tuple[UserVector, int]:
        """Fold the user in from their stored ratings, now: nothing is retrained."""
        ratings = await self.storage.ratings(user_id)
        return self.model.fold_in(*_arrays(ratings)), len(ratings)

    async def recommend(
        self, user_id: int, filter: Filter | None = None, page: int = 0
    ) -> RecommendationPage:
        filter = filter or Filter()
        page = max(0, min(page, MAX_PAGES - 1))
        model = self.model
        ratings = await self.storage.ratings(user_id)
        dismissed = await self.storage.dismissed(user_id)
        rated_ids, rated_stars = _arrays(ratings)
        # Films the user merely skipped may come back; rated or dismissed ones never do.
        exclude = np.concatenate(
            [rated_ids, [i for i, kind in dismissed.items() if kind != "skipped"]]
        ).astype(np.int64)
        personal = len(ratings) >= PERSONAL_AFTER
        vector = model.fold_in(rated_ids, rated_stars) if personal else None
        candidates = filter.candidates(self.catalog)
        if candidates is None:
            candidates = self._catalogued(model)
        elif len(candidates) == 0:  # "2010s" of a catalogue that stops in 1998
            return RecommendationPage(
                [], page, False, personal, len(ratings), filter, none_known=True
            )
        want = (page + 1) * PAGE_SIZE + 1
        # The rank head picks each page's films (it ranks far better than stars), films
        # predicted to be disliked are left out, and a page goes by the stars shown beside its
        # films: order and number agree on screen (recsys/serving.py, bench/calibration.py).
        ids, left_out = likely_liked(model, vector, want, exclude=exclude, candidates=candidates)
        ran_out = len(ids) <= (page + 1) * PAGE_SIZE  # because of what was left out, if any
        shown, stars = by_predicted_stars(model, vector, ids[page * PAGE_SIZE : want - 1])
        reasons = because(self.alike(model), shown, rated_ids, rated_stars) if personal else {}
        items = [
            Recommendation(self.film(int(i)), float(s), self._titles(reasons.get(int(i), [])))
            for i, s in zip(shown, stars, strict=True)
        ]
        return RecommendationPage(
            items,
            page,
            len(ids) > (page + 1) * PAGE_SIZE and page + 1 < MAX_PAGES,
            personal,
            len(ratings),
            filter,
            left_out if ran_out else 0,
            await self.poster(items[0].film) if items else None,
        )

    def _titles(self, item_ids: list[int]) -> tuple[str, ...]:
        """The titles of the films that the catalogue has."""
        titles = self._film_columns[0]
        rows = [self._film_rows.get(i) for i in item_ids]
        return tuple(str(titles[row]) for row in rows if row is not None)

    async def taste_map(self, user_id: int) -> bytes | None:
        """The film map with the user's ratings and top recommendations, as PNG bytes; None
        with too few ratings. Drawing takes ~0.5 s, so it runs in a worker thread."""
        ratings = await self.storage.ratings(user_id)
        if len(ratings) < PERSONAL_AFTER:
            return None
        page = await self.recommend(user_id)
        ids = [r.item_id for r in ratings]
        stars = [r.stars for r in ratings]
        recommended = [rec.film.item_id for rec in page.items]
        model, catalog = self.model, self.catalog

        def draw() -> bytes:
            return png_bytes(build_user_map(model, catalog, ids, stars, recommended))

        return await asyncio.to_thread(draw)

    def alike(self, model: FactorModel) -> Alike:
        """Films alike under ``model`` (built once per model: a pass over the catalogue)."""
        if self._alike is None or self._alike.model is not model:
            self._alike = Alike(model, self.catalog, self._genre_bits)
        return self._alike

    async def similar(self, item_id: int, n: int = 10) -> list[Film]:
        model = self.model
        if model.items.row(item_id) is None:
            return []
        ids, _ = self.alike(model).similar(item_id, n)
        return [self.film(int(i)) for i in ids]

    def search(self, query: str, limit: int = 8) -> list[Film]:
        return [self.film(i) for i in self.titles.search(query, limit)]

    # ------------------------------------------------------------------ lists

    async def watch_later(self, user_id: int, item_id: int) -> bool:
        self.film(item_id)
        return await self.storage.watchlist_add(user_id, item_id)

    async def unwatch(self, user_id: int, item_id: int) -> bool:
        return await self.storage.watchlist_remove(user_id, item_id)

    async def watchlist(self, user_id: int) -> list[Film]:
        return [self.film(i) for i in await self.storage.watchlist(user_id) if i in self.catalog]

    async def not_interested(self, user_id: int, item_id: int) -> None:
        """Hide a film for good (it also leaves the watchlist, in the same change)."""
        await self.dismiss(user_id, item_id, "not_interested")

    async def my_ratings(self, user_id: int, page: int = 0, per_page: int = 8) -> RatingsPage:
        total = await self.storage.rating_count(user_id)
        pages = max(1, -(-total // per_page))
        page = max(0, min(page, pages - 1))
        rows = await self.storage.ratings(user_id, limit=per_page, offset=page * per_page)
        items = [
            RatedFilm(self.film(r.item_id), r.stars) for r in rows if r.item_id in self.catalog
        ]
        return RatingsPage(items, page, pages, total)

    async def rated_film(self, user_id: int, item_id: int) -> RatedFilm | None:
        """The film with the user's stars, or None when they have not rated it."""
        stars = await self.storage.rating(user_id, item_id)
        return None if stars is None else RatedFilm(self.film(item_id), stars)

    async def delete_rating(self, user_id: int, item_id: int) -> float | None:
        """Delete a rating (undoable); the stars it had, or None when there was none."""
        return await self.storage.delete_rating(user_id, item_id)

    async def forget(self, user_id: int) -> bool:
        self._registered.pop(user_id, None)
        return await self.storage.forget_user(user_id)

    async def export_csv(self, user_id: int) -> str:
        """The user's ratings with titles, newest first, as CSV text."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["movielens_id", "title", "year", "stars", "rated_at_utc"])
        for r in await self.storage.ratings(user_id):
            film = self.film(r.item_id) if r.item_id in self.catalog else None
            writer.writerow(
                [
                    r.item_id,
                    film.title if film else "",
                    film.year if film and film.year else "",
                    f"{r.stars:g}",
                    datetime.fromtimestamp(r.updated_at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
                ]
            )
        return out.getvalue()


def _arrays(ratings: list[Rating]) -> tuple[np.ndarray, np.ndarray]:
    return rating_arrays([(r.item_id, r.stars) for r in ratings])


def _optional(value: object) -> int | None:
    """A cell of a nullable integer column: an int, or None for pandas' NA."""
    return int(value) if isinstance(value, int | np.integer) else None
