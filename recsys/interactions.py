"""Ratings coded as tensor rows: the form every solver and metric works on."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from recsys.solve import RowMatrix
from recsys.vocab import Vocabulary


@dataclass(frozen=True)
class Interactions:
    """Ratings as parallel arrays of user rows, item rows and stars, with their vocabularies."""

    users: Vocabulary
    items: Vocabulary
    user_rows: np.ndarray  # int64
    item_rows: np.ndarray  # int64
    ratings: np.ndarray  # float32

    @classmethod
    def from_frame(
        cls,
        ratings: pd.DataFrame,
        users: Vocabulary | None = None,
        items: Vocabulary | None = None,
    ) -> Interactions:
        """Code a ratings frame; ratings of users or items not in a given vocabulary are dropped."""
        user_ids = ratings["user_id"].to_numpy()
        item_ids = ratings["item_id"].to_numpy()
        users = users if users is not None else Vocabulary(user_ids)
        items = items if items is not None else Vocabulary(item_ids)
        u, i = users.rows(user_ids), items.rows(item_ids)
        keep = (u >= 0) & (i >= 0)
        stars = ratings["rating"].to_numpy(np.float32)
        return cls(users, items, u[keep], i[keep], stars[keep])

    def __len__(self) -> int:
        return len(self.ratings)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_items(self) -> int:
        return len(self.items)

    @cached_property
    def by_user(self) -> RowMatrix:
        return RowMatrix.from_coo(self.user_rows, self.item_rows, self.ratings, self.n_users)

    @cached_property
    def by_item(self) -> RowMatrix:
        return RowMatrix.from_coo(self.item_rows, self.user_rows, self.ratings, self.n_items)

    def subset(self, mask: np.ndarray) -> Interactions:
        """The same vocabularies, fewer ratings."""
        return Interactions(
            self.users, self.items, self.user_rows[mask], self.item_rows[mask], self.ratings[mask]
        )

    def split(self, share: float, seed: int) -> tuple[Interactions, Interactions]:
        """A random (train, holdout) split of ratings; ``share`` goes to the holdout."""
        rng = np.random.default_rng(seed)
        holdout = rng.random(len(self)) < share
        return self.subset(~holdout), self.subset(holdout)
