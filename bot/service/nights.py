"""What the bot does for a group's movie night, with no Telegram types: nights, who is in,
the vote, and the films that suit everyone who joined.

The movie-night flow (bot/movienight/flow.py) decides what to say; this is where it reads
and writes, over the same storage and model as :class:`~bot.service.movies.MovieService`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np

from bot.filters import Filter
from bot.movienight import maths
from bot.service.movies import PERSONAL_AFTER, MovieService
from bot.service.types import GroupScore
from bot.storage import Ballot, MovieNight, Rating
from recsys import FactorModel
from recsys.serving import known_films, predict_members, rating_arrays

GROUP_POOL = 100  # each member's first films by the rank head that a night chooses among


class NightService:
    """Movie nights over one :class:`MovieService` (its storage, model and catalogue)."""

    def __init__(self, movies: MovieService) -> None:
        self.movies = movies
        self._storage = movies.storage

    # ------------------------------------------------------------------ nights

    async def remember_group(self, chat_id: int, title: str) -> None:
        """Remember a group chat, or its new title."""
        await self._storage.upsert_group(chat_id, title)

    async def open_night(self, chat_id: int, created_by: int, filter_key: str) -> int:
        """Start a night in a group (remembered first); the night's id."""
        return await self._storage.create_night(chat_id, created_by, filter_key)

    async def current(self, chat_id: int) -> MovieNight | None:
        """The group's latest night that is still open or voting."""
        return await self._storage.current_night(chat_id)

    async def night(self, night_id: int) -> MovieNight | None:
        return await self._storage.night(night_id)

    async def by_poll(self, poll_id: str) -> MovieNight | None:
        return await self._storage.night_by_poll(poll_id)

    async def posted(self, night_id: int, message_id: int) -> None:
        """Remember which message shows the night, so later changes can edit it."""
        await self._storage.set_night_message(night_id, message_id)

    async def cancel(self, night_id: int) -> bool:
        return await self._storage.cancel_night(night_id)

    # ------------------------------------------------------------------ people

    async def join(self, night_id: int, user_id: int) -> bool:
        """True when they were not in yet."""
        return await self._storage.join_night(night_id, user_id)

    async def leave(self, night_id: int, user_id: int) -> bool:
        """True when they were in."""
        return await self._storage.leave_night(night_id, user_id)

    async def people(self, night_id: int) -> list[tuple[int, str]]:
        """(user id, first name) of everyone in, in the order they joined."""
        return await self._storage.night_people(night_id)

    async def participants(self, night_id: int) -> list[int]:
        return await self._storage.night_participants(night_id)

    # ------------------------------------------------------------------ suggesting

    async def films_matching(self, chosen: Filter) -> int:
        """How many films the model could suggest under ``chosen``, before anyone's ratings."""
        catalog = self.movies.catalog
        return len(known_films(self.movies.model, catalog, chosen.candidates(catalog)))

    async def score(self, people: list[tuple[int, str]], chosen: Filter) -> GroupScore | None:
        """The films for everyone in; None when nobody in has rated enough to count."""
        ids = [user_id for user_id, _ in people]
        ratings = await self._storage.ratings_of(ids)
        dismissed = await self._storage.dismissed_by_any(ids)
        if all(len(ratings[user_id]) < PERSONAL_AFTER for user_id in ids):
            return None
        # Fold-ins and predictions take milliseconds: off the event loop.
        return await asyncio.to_thread(
            self._score, self.movies.model, chosen, people, ratings, dismissed
        )

    def _score(
        self,
        model: FactorModel,
        chosen: Filter,
        people: list[tuple[int, str]],
        ratings: dict[int, list[Rating]],
        dismissed: set[int],
    ) -> GroupScore:
        """Fold in every member with enough ratings, predict every candidate film for each,
        and aggregate; films anyone who joined rated or dismissed are out."""
        counted = [(u, name) for u, name in people if len(ratings[u]) >= PERSONAL_AFTER]
        left_out = [name for u, name in people if len(ratings[u]) < PERSONAL_AFTER]
        vectors = [
            model.fold_in(*rating_arrays([(r.item_id, r.stars) for r in ratings[u]]))
            for u, _ in counted
        ]
        seen = {r.item_id for rated in ratings.values() for r in rated} | dismissed
        exclude = np.fromiter(seen, np.int64, len(seen))
        candidates = known_films(model, self.movies.catalog, chosen.candidates(self.movies.catalog))
        # The films someone here would likely pick for themselves, by the rank head as
        # /recommend's are; the group's stars choose among them. By stars alone a film two
        # people rated 5★ ("The Saint of Fort Washington") stood beside Schindler's List.
        pool = np.unique(
            np.concatenate(
                [
                    model.recommend(vector, GROUP_POOL, exclude=exclude, candidates=candidates)[0]
                    for vector in vectors
                ]
            )
        )
        predictions = predict_members(model, vectors, pool)
        suggestion = maths.suggest(predictions, pool, exclude)
        return GroupScore(suggestion, counted, left_out)

    # ------------------------------------------------------------------ voting

    async def ballot(self, night_id: int) -> Ballot | None:
        return await self._storage.ballot(night_id)

    async def open_vote(self, night_id: int, films: Sequence[tuple[int, float]]) -> bool:
        """Move an open night to voting with these films; False when someone got there first."""
        return await self._storage.open_vote(night_id, films)

    async def vote_posted(self, night_id: int, poll_id: str, message_id: int) -> None:
        await self._storage.set_night_poll(night_id, poll_id, message_id)

    async def record_vote(self, night_id: int, user_id: int, positions: Sequence[int]) -> bool:
        """A participant's vote, replacing theirs; False (not stored) for someone not in."""
        return await self._storage.record_vote(night_id, user_id, positions)

    async def vote_counts(self, night_id: int, options: int) -> tuple[list[int], int]:
        """Votes per option from people in the night, and how many of them voted."""
        return await self._storage.vote_counts(night_id, options)

    async def close_vote(self, night_id: int, picked_item: int) -> bool:
        """False when the vote was closed already by another path."""
        return await self._storage.close_vote(night_id, picked_item)
