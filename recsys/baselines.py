"""Baselines every model must beat: the global mean, biases only, and popularity.

Each baseline and the factor model share one small scoring interface (:class:`Scorer`), so the
evaluation code treats them alike.
"""

from __future__ import annotations

from typing import Protocol, cast

import numpy as np
import pandas as pd
import torch

from recsys.interactions import Interactions
from recsys.metrics import RELEVANT_STARS
from recsys.model import FactorModel, UserVector
from recsys.vocab import Vocabulary


class Scorer(Protocol):
    """What evaluation needs: stars for (user, item) pairs, ranking scores for user rows."""

    items: Vocabulary

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray | None:
        """Stars per pair, or None for a model that only ranks."""

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        """(len(user_ids) × n_items) ranking scores, columns in ``items`` order."""


class GlobalMean:
    """Predicts the mean rating for everything; ranks nothing (all scores equal)."""

    def __init__(self, ratings: pd.DataFrame) -> None:
        self.items = Vocabulary(ratings["item_id"].to_numpy())
        self.mean = float(ratings["rating"].mean())

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        return np.full(len(user_ids), self.mean, np.float32)

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        # Ties broken by a fixed random order: equal scores rank nothing in particular.
        noise = torch.rand(len(self.items), generator=torch.Generator().manual_seed(0))
        return noise.expand(len(user_ids), -1)


class Biases:
    """μ + b_u + b_i, each bias damped towards zero (Surprise's baseline estimate, by ALS)."""

    def __init__(self, ratings: pd.DataFrame, reg_user: float = 15.0, reg_item: float = 10.0):
        data = Interactions.from_frame(ratings)
        self.users, self.items = data.users, data.items
        self.mean = float(data.ratings.mean())
        residual = data.ratings - self.mean
        bu = np.zeros(data.n_users)
        bi = np.zeros(data.n_items)
        user_count = np.bincount(data.user_rows, minlength=data.n_users)
        item_count = np.bincount(data.item_rows, minlength=data.n_items)
        for _ in range(10):
            r = residual - bu[data.user_rows]
            bi = np.bincount(data.item_rows, r, data.n_items) / (item_count + reg_item)
            r = residual - bi[data.item_rows]
            bu = np.bincount(data.user_rows, r, data.n_users) / (user_count + reg_user)
        self.user_bias, self.item_bias = bu.astype(np.float32), bi.astype(np.float32)

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        u, i = self.users.rows(user_ids), self.items.rows(item_ids)
        stars = (
            self.mean
            + np.where(u >= 0, self.user_bias[u], 0)
            + np.where(i >= 0, self.item_bias[i], 0)
        )
        return np.clip(stars, 1.0, 5.0).astype(np.float32)

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        # The user bias does not change a user's order; items rank by their bias.
        return torch.from_numpy(self.item_bias).expand(len(user_ids), -1)


class Popularity:
    """Ranks films by how many people liked them (4 stars or more); predicts no stars."""

    def __init__(self, ratings: pd.DataFrame) -> None:
        self.items = Vocabulary(ratings["item_id"].to_numpy())
        liked = ratings.loc[ratings["rating"] >= RELEVANT_STARS, "item_id"].to_numpy()
        counts = np.bincount(self.items.rows(liked), minlength=len(self.items))
        self.counts = torch.from_numpy(counts.astype(np.float32))

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> None:
        return None

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        return self.counts.expand(len(user_ids), -1)


class ModelScorer:
    """A trained :class:`FactorModel` seen through the :class:`Scorer` interface.

    ``history`` holds the training ratings: the neighbour head predicts from them, and a user
    the model has never seen is folded in from them (as the bot does with its users).
    """

    def __init__(self, model: FactorModel, history: pd.DataFrame | None = None) -> None:
        self.model = model
        self.items = model.items
        self.history = history
        self._histories: dict[int, tuple[np.ndarray, np.ndarray]] | None = None

    def _history(self, user: int) -> tuple[np.ndarray, np.ndarray] | None:
        if self.history is None:
            return None
        if self._histories is None:
            self._histories = {
                int(cast(int, u)): (g["item_id"].to_numpy(), g["rating"].to_numpy())
                for u, g in self.history.groupby("user_id")
            }
        return self._histories.get(user)

    def _vector(self, user: int) -> UserVector | None:
        history = self._history(user)
        if self.model.users.row(user) is None:
            return self.model.fold_in(*history) if history is not None else None
        return self.model.user_vector(user, history)

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        m = self.model
        if self.history is not None:
            return self._predict_per_user(user_ids, item_ids)
        u, i = m.users.rows(user_ids), m.items.rows(item_ids)
        known_u, known_i = u >= 0, i >= 0
        u, i = np.where(known_u, u, 0), np.where(known_i, i, 0)
        stars = m.global_mean + np.where(known_i, m.item_bias.numpy()[i], 0)
        dot = (m.user_factors.numpy()[u] * m.item_factors.numpy()[i]).sum(1)
        stars += np.where(known_u, m.user_bias.numpy()[u] + np.where(known_i, dot, 0), 0)
        stars = np.where(known_i, stars, m.unseen_stars)
        return np.clip(stars, *m.rating_scale).astype(np.float32)

    def _predict_per_user(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        out = np.empty(len(user_ids), np.float32)
        pairs = pd.DataFrame({"user": user_ids, "item": item_ids})
        for user, group in pairs.groupby("user"):
            stars = self.model.predict(self._vector(int(cast(int, user))), group["item"].to_numpy())
            out[group.index.to_numpy()] = stars
        return np.nan_to_num(out, nan=self.model.unseen_stars)

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        m = self.model
        rows = m.users.rows(user_ids)
        factors = m.rank_user_factors[torch.from_numpy(np.maximum(rows, 0))]
        scores = factors @ m.rank_item_factors.T
        for position in np.flatnonzero(rows < 0):
            vector = self._vector(int(user_ids[position]))
            scores[position] = torch.from_numpy(np.asarray(m.scores(vector), np.float32))
        return scores


class OnItems:
    """A scorer ranked over another vocabulary: films it does not know rank last.

    Two models compared on one holdout must rank the same films: a model that knows only the
    best-known films (a quick first model) ranks a far easier list, and its held-out films it
    never saw would simply drop out of the count. Here they count as misses.
    """

    def __init__(self, scorer: Scorer, items: Vocabulary) -> None:
        self.scorer = scorer
        self.items = items
        rows = scorer.items.rows(items.ids)
        self._known = torch.from_numpy(np.flatnonzero(rows >= 0))
        self._inner = torch.from_numpy(rows[rows >= 0])

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray | None:
        return self.scorer.predict_pairs(user_ids, item_ids)

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        inner = self.scorer.score_users(user_ids)
        out = torch.full((len(user_ids), len(self.items)), torch.finfo(inner.dtype).min)
        out[:, self._known] = inner[:, self._inner].to(out.dtype)
        return out
