"""The served factor model: one artefact, two heads that share the same item ids.

The *star head* predicts ratings: global mean + user and item biases + a dot product, where the
user side may carry an SVD++-style implicit term (a normalised sum of vectors of the films the
user rated). The *rank head* is weighted matrix factorisation over the whole user × film matrix,
stars on rated cells and a small weight on every unrated one, which ranks far better than
predicted stars do. Both heads fold a new user in with one closed-form regularised solve
against the fixed item side: the maths of one ALS half-step.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from recsys.bayes import BayesHead
from recsys.blend import Blend
from recsys.genres import GenrePrior
from recsys.model_file import load_model_fields, save_model
from recsys.neighbours import NeighbourHead
from recsys.similarity import SimilarFilms
from recsys.solve import RowMatrix
from recsys.vocab import Vocabulary

log = logging.getLogger(__name__)

FOLD_IN_PRIOR = 0.25
"""How far towards the average trained user a folded-in user's rank factors shrink (0: to
zero, 1: all the way). On ML-100k, NDCG@10 of new users with 10 random ratings (evaluate
--split new-users) was 0.487 / 0.495 / 0.499 / 0.500 at 0 / 0.25 / 0.5 / 1, but users who
answered the elicitor's 10 adaptive questions (recsys/elicit_eval.py) got 0.435 / 0.433 /
0.426 / 0.411: the prior favours popular films, which elicited answers already lean to.
A quarter keeps most of the first gain and almost all of the second."""


@dataclass(frozen=True)
class UserVector:
    """A user as the model sees them: star-head bias and factors, rank-head factors, and the
    ratings the neighbour head predicts from (item rows and stars; empty when unknown).

    ``star_factors`` already includes the implicit term, so a prediction is one dot product.
    """

    star_bias: float
    star_factors: np.ndarray
    rank_factors: np.ndarray
    rated_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    rated_stars: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))
    bayes: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.float32))
    """The Bayesian head's user samples, (samples × (k + 1)); empty without that head."""


@dataclass(frozen=True)
class FoldInSettings:
    """Regularisation the fold-in solve must share with training, or trained-in users and
    folded-in users would not be the same kind of thing."""

    star_reg_factors: float
    star_reg_bias: float
    star_weighted_reg: bool
    rank_reg: float
    rank_unobserved_weight: float


@dataclass(frozen=True)
class FactorModel:
    """A trained model, immutable: fields cannot be reassigned, tensors are never changed, and
    metadata is read-only (:meth:`with_metadata` returns a copy with more of it).

    Tensors are float32, rows indexed through ``items`` and ``users`` vocabularies.
    """

    items: Vocabulary
    users: Vocabulary
    global_mean: float
    item_bias: torch.Tensor  # (n_items,)
    item_factors: torch.Tensor  # (n_items, k)   star head, q_i
    implicit_factors: torch.Tensor  # (n_items, k) star head, y_j (zeros if unused)
    user_bias: torch.Tensor  # (n_users,)
    user_factors: torch.Tensor  # (n_users, k)   star head, p_u + implicit term
    rank_item_factors: torch.Tensor  # (n_items, k_r)
    rank_user_factors: torch.Tensor  # (n_users, k_r)
    item_popularity: torch.Tensor  # (n_items,) ratings of 4+ stars: popular *and* well liked
    fold_in_settings: FoldInSettings
    neighbours: NeighbourHead | None = None
    rated: RowMatrix | None = None
    """The trained users' ratings (user rows × item rows), kept with a neighbour head: it
    predicts from them, so a trained user asked by id gets the blended stars too."""
    bayes: BayesHead | None = None
    """The Bayesian star head (recsys/bayes.py), kept when the blend weighs it."""
    blend: Blend = field(default_factory=Blend)
    """How the heads combine into served stars, fitted on validation ratings."""
    rating_scale: tuple[float, float] = (1.0, 5.0)
    unseen_item_stars: float | None = None
    """What a film the model never saw is expected to get: the mean star of the films rated
    at most twice in training (rarely rated films are rated lower; on ML-100k 2.5 against a
    mean of 3.5). None in files written before it: the global mean. ``predict`` still says
    NaN for such films; evaluation scores them with this."""
    genre_prior: GenrePrior | None = None
    """The genre means that films with few ratings were pulled towards (already applied to
    ``item_factors``); kept to inspect and to place films by genre."""
    similar: SimilarFilms | None = None
    """Each film's most similar films by co-ratings, for what people are shown as "alike"
    (recsys/alike.py); None in files written before it."""
    metadata: Mapping[str, Any] = field(default_factory=dict)
    """Config, history, fingerprint and whatever the caller adds through a copy."""

    def __post_init__(self) -> None:
        # The frozen dataclass refuses plain assignment; these derived arrays are set once here.
        derived = object.__setattr__
        derived(self, "metadata", MappingProxyType(dict(self.metadata)))
        # Serving works on NumPy views of the same memory: tiny solves and mat-vecs cost a
        # few microseconds there, against tens in per-op torch dispatch.
        derived(self, "_q", self.item_factors.numpy())
        derived(self, "_y", self.implicit_factors.numpy())
        derived(self, "_bi", self.item_bias.numpy())
        derived(self, "_v", self.rank_item_factors.numpy())
        v = self._v.astype(np.float64)
        derived(self, "_rank_gram", self.fold_in_settings.rank_unobserved_weight * (v.T @ v))
        # A folded-in user's rank factors shrink towards a quarter of the average trained user
        # rather than to 0 (the average user ranks well-liked popular films first).
        users = self.rank_user_factors.numpy().astype(np.float64)
        average = users.mean(0) if len(users) else np.zeros(users.shape[1])
        prior = FOLD_IN_PRIOR * self.fold_in_settings.rank_reg * average
        derived(self, "_rank_prior", prior)
        derived(self, "_uses_implicit", bool(np.any(self._y)))
        derived(self, "_item_norms", np.linalg.norm(self._v, axis=1) + 1e-12)
        derived(self, "_popularity", self.item_popularity.numpy())
        counts = None
        if self.rated is not None:  # the blend's support terms count each film's ratings
            counts = np.bincount(self.rated.indices, minlength=len(self.items)).astype(np.float64)
        derived(self, "_item_counts", counts)

    # Set once by __post_init__ (annotated here for the type checker, not dataclass fields).
    _q: np.ndarray = field(init=False, repr=False, compare=False)
    _y: np.ndarray = field(init=False, repr=False, compare=False)
    _bi: np.ndarray = field(init=False, repr=False, compare=False)
    _v: np.ndarray = field(init=False, repr=False, compare=False)
    _rank_gram: np.ndarray = field(init=False, repr=False, compare=False)
    _rank_prior: np.ndarray = field(init=False, repr=False, compare=False)
    _uses_implicit: bool = field(init=False, repr=False, compare=False)
    _item_norms: np.ndarray = field(init=False, repr=False, compare=False)
    _popularity: np.ndarray = field(init=False, repr=False, compare=False)
    _item_counts: np.ndarray | None = field(init=False, repr=False, compare=False)

    @property
    def item_rating_counts(self) -> np.ndarray | None:
        """Each film's number of training ratings (by item row); None when the model keeps no
        ratings (no neighbour head)."""
        return self._item_counts

    def with_metadata(self, **entries: Any) -> FactorModel:
        """A copy of this model whose metadata also holds ``entries`` (the tensors are shared,
        not copied: neither model ever changes them)."""
        return replace(self, metadata={**self.metadata, **entries})

    # ----------------------------------------------------------------- sizes

    @property
    def n_items(self) -> int:
        return len(self.items)

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def item_ids(self) -> np.ndarray:
        return self.items.ids

    @property
    def unseen_stars(self) -> float:
        """The stars to expect from a film the model does not know."""
        return self.global_mean if self.unseen_item_stars is None else self.unseen_item_stars

    # ----------------------------------------------------------------- users

    def user_vector(
        self,
        user: int | UserVector | None,
        history: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> UserVector | None:
        """A trained user's vector, the vector itself, or None for an unknown user.

        ``history`` (item ids, stars) gives the neighbour head a trained user's ratings as
        they are now; without it, the head uses the ratings the model was trained on.
        """
        if user is None or isinstance(user, UserVector):
            return user
        row = self.users.row(user)
        if row is None:
            return None
        vector = UserVector(
            float(self.user_bias[row]),
            self.user_factors[row].numpy(),
            self.rank_user_factors[row].numpy(),
        )
        if self.bayes is not None:
            vector = replace(vector, bayes=self.bayes.user(row))
        if history is not None:
            rows, stars = self._known(*history)
        elif self.rated is not None:
            rows, stars = self.rated.row(row)
        else:
            return vector
        return replace(vector, rated_rows=rows, rated_stars=stars.astype(np.float32))

    def _known(self, item_ids: np.ndarray, stars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rows = self.items.rows(item_ids)
        known = rows >= 0
        return rows[known], np.asarray(stars, np.float64)[known]

    def fold_in(
        self, item_ids: np.ndarray | list[int], ratings: np.ndarray | list[float]
    ) -> UserVector:
        """A new user's vector from their ratings, by closed-form solves; nothing is stored.

        Unknown items are skipped with a warning. With no usable rating the vector is empty and
        predictions fall back to item biases and ranking to popularity.
        """
        item_ids = np.asarray(item_ids, np.int64)
        stars = np.asarray(ratings, np.float64)
        if item_ids.shape != stars.shape:
            raise ValueError("item_ids and ratings must have the same length")
        rows, stars = self._known(item_ids, stars)
        if len(rows) < len(item_ids):
            log.warning("fold_in: skipping %d unknown item id(s)", len(item_ids) - len(rows))
        k, kr = self._q.shape[1], self._v.shape[1]
        if len(rows) == 0:
            return UserVector(0.0, np.zeros(k, np.float32), np.zeros(kr, np.float32))
        s = self.fold_in_settings
        n = len(rows)
        q = self._q[rows].astype(np.float64)
        implicit = (
            self._y[rows].sum(0, dtype=np.float64) / np.sqrt(n)
            if self._uses_implicit
            else np.zeros(k)
        )
        residual = stars - self.global_mean - self._bi[rows] - q @ implicit
        design = np.hstack([np.ones((n, 1)), q])
        scale = n if s.star_weighted_reg else 1.0
        penalty = np.full(k + 1, s.star_reg_factors * scale)
        penalty[0] = s.star_reg_bias * scale
        solution = np.linalg.solve(design.T @ design + np.diag(penalty), design.T @ residual)
        v = self._v[rows].astype(np.float64)
        rank_gram = self._rank_gram + (1.0 - s.rank_unobserved_weight) * (v.T @ v)
        rank_gram[np.diag_indices(kr)] += s.rank_reg
        rank = np.linalg.solve(rank_gram, v.T @ stars + self._rank_prior)
        return UserVector(
            float(solution[0]),
            (solution[1:] + implicit).astype(np.float32),
            rank.astype(np.float32),
            rows,
            stars.astype(np.float32),
            self.bayes.fold_in(rows, stars)
            if self.bayes is not None
            else np.empty((0, 0), np.float32),
        )

    # ----------------------------------------------------------------- scoring

    def predict(
        self, user: int | UserVector | None, item_ids: np.ndarray | list[int]
    ) -> np.ndarray:
        """Predicted stars, clipped to the rating scale; NaN for unknown items."""
        rows = self.items.rows(item_ids)
        known = rows >= 0
        safe = np.where(known, rows, 0)
        # Every film in row order (a movie night over the whole catalogue): views, not copies;
        # gathering 59k rows of factors cost more than the products.
        every = len(rows) == len(self._bi) and bool(np.all(np.diff(rows) == 1)) and rows[0] == 0
        at: np.ndarray | slice = slice(None) if every else safe
        vec = self.user_vector(user)
        stars = self.global_mean + self._bi[at]
        if vec is not None:
            stars = stars + vec.star_bias + self._q[at] @ vec.star_factors
            if self._blends(vec):
                other = (
                    self.neighbours.predict(vec.rated_rows, vec.rated_stars, safe)
                    if self.neighbours is not None
                    else None
                )
                taste = self._v[at] @ vec.rank_factors if self.blend.taste else None
                bayes = self.bayes.predict(vec.bayes, safe) if self.bayes is not None else None
                support = None
                if self._item_counts is not None:
                    support = (float(len(vec.rated_rows)), self._item_counts[safe])
                stars = self.blend.apply(stars, other, taste, bayes, support)
        out = np.clip(stars, *self.rating_scale).astype(np.float32)
        out[~known] = np.nan
        return out

    def _blends(self, vec: UserVector) -> bool:
        """Whether ``vec`` carries what every head of the blend needs (ratings for the
        neighbour head, samples for the Bayesian head); else the star head serves alone."""
        if self.neighbours is None and self.bayes is None:
            return False
        needs_ratings = self.neighbours is not None or self.blend.has_support
        if needs_ratings and not len(vec.rated_rows):
            return False
        return self.bayes is None or vec.bayes.size > 0

    def scores(self, user: int | UserVector | None) -> np.ndarray:
        """Ranking scores of every item in row order (popularity for an unknown user)."""
        vec = self.user_vector(user)
        if vec is None or not np.any(vec.rank_factors):
            return self._popularity
        scores: np.ndarray = self._v @ vec.rank_factors
        return scores

    def recommend(
        self,
        user: int | UserVector | None,
        n: int = 10,
        exclude: np.ndarray | list[int] | None = None,
        candidates: np.ndarray | list[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best items as (item_ids, scores), best first.

        ``exclude`` drops items (typically the ones the user rated); ``candidates`` restricts
        the ranking to a subset (a genre, a decade).
        """
        scores = self.scores(user).astype(np.float32, copy=True)
        if candidates is not None:
            allowed = np.zeros(len(scores), bool)
            rows = self.items.rows(candidates)
            allowed[rows[rows >= 0]] = True
            scores[~allowed] = -np.inf
        if exclude is not None and len(exclude):
            rows = self.items.rows(exclude)
            scores[rows[rows >= 0]] = -np.inf
        return self._top(scores, n)

    def similar_items(self, item_id: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Items closest to ``item_id`` by cosine similarity of rank-head factors."""
        row = self.items.row(item_id)
        if row is None:
            raise KeyError(f"unknown item id {item_id}")
        scores = (self._v @ self._v[row]) / (self._item_norms * self._item_norms[row])
        scores[row] = -np.inf
        return self._top(scores.astype(np.float32), n)

    def _top(self, scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        finite = int(np.isfinite(scores).sum())
        n = max(0, min(n, finite))
        if n == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return self.items.ids[top], scores[top]

    # ----------------------------------------------------------------- persistence

    def save(self, path: str | Path) -> None:
        """Write atomically: a crash mid-write leaves the previous file as it was."""
        save_model(self, path)

    @classmethod
    def load(cls, path: str | Path) -> FactorModel:
        """Read a model written by :meth:`save`; no pickle is involved anywhere."""
        fields = load_model_fields(path)
        settings = FoldInSettings(**fields.pop("fold_in"))
        return cls(fold_in_settings=settings, **fields)
