"""How the served stars combine the heads: a linear blend fitted on validation ratings, whose
weights may move with how much the model knows about the user and the film.

Shared by the trainer, which fits it, and the model, which applies and saves it.

The support terms are the Netflix-prize blends' trick: each head's weight (and the intercept)
is a + b·s_u + c·s_i, where s_u and s_i are the standardised log counts of the user's and the
film's ratings. A neighbour head is worth more for a film with many raters, a Bayesian head
more for a user with few ratings; one global weight cannot say so. On ML-100k fold 0 the
support terms cut RMSE by 0.003 (halves of the test set fitted crosswise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_CLIP = 3.0  # standardised support beyond ±3 (a user with 1 rating) is treated as ±3
_HEADS = 5  # intercept, star, neighbours, taste, bayes


@dataclass(frozen=True)
class Blend:
    """stars = intercept + star·(star head) + neighbours·(neighbour head) + taste·(rank-head
    score) + bayes·(Bayesian head), each weight moved by the support terms when there are
    any. The identity blend (the default) serves the star head alone."""

    intercept: float = 0.0
    star: float = 1.0
    neighbours: float = 0.0
    taste: float = 0.0
    """The rank head's score says how much the user's taste fits the film."""
    bayes: float = 0.0
    """The Bayesian head's stars (recsys/bayes.py)."""
    by_user_support: tuple[float, ...] = ()
    """How much each weight above (in that order) grows per unit of user support."""
    by_item_support: tuple[float, ...] = ()
    """The same per unit of film support."""
    support_scale: tuple[float, ...] = ()
    """Mean and standard deviation of log(1 + ratings) of users, then of films."""

    @classmethod
    def fit(
        cls,
        star: np.ndarray,
        neighbours: np.ndarray | None,
        taste: np.ndarray,
        ratings: np.ndarray,
        bayes: np.ndarray | None = None,
        support: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> Blend:
        """Least-squares weights of the heads' predictions against ``ratings``; a head that
        is None gets weight 0. ``support`` (each pair's user and film rating counts) adds
        the support terms."""
        columns = [np.ones_like(star), star, neighbours, taste, bayes]
        used = [i for i, column in enumerate(columns) if column is not None]
        base = np.column_stack([c for c in columns if c is not None]).astype(np.float64)
        if support is None:
            solved = np.linalg.lstsq(base, ratings.astype(np.float64), rcond=None)[0]
            plain = np.zeros(_HEADS)
            plain[used] = solved
            return cls.from_list(plain.tolist())
        logs = [np.log1p(np.asarray(counts, np.float64)) for counts in support]
        scale = tuple(float(v) for log in logs for v in (log.mean(), max(log.std(), 1e-9)))
        s_user, s_item = _standardised(scale, *support)
        design = np.hstack([base, base * s_user[:, None], base * s_item[:, None]])
        solved = np.linalg.lstsq(design, ratings.astype(np.float64), rcond=None)[0]
        weights = np.zeros((3, _HEADS))
        weights[:, used] = solved.reshape(3, len(used))
        intercept, star_w, neighbours_w, taste_w, bayes_w = (float(w) for w in weights[0])
        return cls(
            intercept, star_w, neighbours_w, taste_w, bayes_w,
            by_user_support=tuple(float(w) for w in weights[1]),
            by_item_support=tuple(float(w) for w in weights[2]),
            support_scale=scale,
        )  # fmt: skip

    @property
    def has_support(self) -> bool:
        return bool(self.support_scale)

    def apply(
        self,
        star: np.ndarray,
        neighbours: np.ndarray | None,
        taste: np.ndarray | None,
        bayes: np.ndarray | None = None,
        support: tuple[np.ndarray | float, np.ndarray] | None = None,
    ) -> np.ndarray:
        """Blended stars, unclipped; a head's input may be None when its weight is 0.
        ``support`` (user and film rating counts) is needed when the blend has support terms."""
        heads = [np.ones_like(star), star, neighbours, taste, bayes]
        weights = np.array([self.intercept, self.star, self.neighbours, self.taste, self.bayes])
        names = ("", "", "neighbour-head stars", "rank-head scores", "Bayesian-head stars")
        if self.has_support:
            assert support is not None, "a blend with support terms needs the rating counts"
            s_user, s_item = _standardised(self.support_scale, *support)
            moved = [weights + np.multiply.outer(s, terms) for s, terms in (
                (s_user, self.by_user_support), (s_item, self.by_item_support)
            )]  # fmt: skip
            per_pair = moved[0] + moved[1] - weights  # (pairs, heads)
        else:
            per_pair = np.broadcast_to(weights, (len(star), _HEADS))
        out = np.zeros(len(star))
        for i, head in enumerate(heads):
            if not np.any(per_pair[:, i]):
                continue
            assert head is not None, f"a blend with a weight on them needs the {names[i]}"
            out = out + per_pair[:, i] * head
        return out

    def uses(self) -> tuple[bool, bool]:
        """Whether serving needs the neighbour head and the Bayesian head."""
        return self._weighs(2), self._weighs(4)

    def _weighs(self, head: int) -> bool:
        weights = [self.to_list()[head]]
        weights += [terms[head] for terms in (self.by_user_support, self.by_item_support) if terms]
        return any(w != 0 for w in weights)

    def to_list(self) -> list[float]:
        return [
            self.intercept, self.star, self.neighbours, self.taste, self.bayes,
            *self.by_user_support, *self.by_item_support, *self.support_scale,
        ]  # fmt: skip

    @classmethod
    def from_list(cls, weights: Sequence[float]) -> Blend:
        """Files written before the taste and Bayes weights hold three or four numbers (the
        missing weights are 0), before the support terms five."""
        values = [float(w) for w in weights]
        if not 3 <= len(values) <= _HEADS and len(values) != 3 * _HEADS + 4:
            raise ValueError(f"a blend holds 3 to {_HEADS} or {3 * _HEADS + 4} numbers")
        heads = values[:_HEADS] + [0.0] * (_HEADS - len(values))
        intercept, star, neighbours, taste, bayes = heads
        if len(values) <= _HEADS:
            return cls(intercept, star, neighbours, taste, bayes)
        return cls(
            intercept, star, neighbours, taste, bayes,
            by_user_support=tuple(values[_HEADS : 2 * _HEADS]),
            by_item_support=tuple(values[2 * _HEADS : 3 * _HEADS]),
            support_scale=tuple(values[3 * _HEADS :]),
        )  # fmt: skip


def _standardised(
    scale: Sequence[float], users: np.ndarray | float, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Standardised log(1 + count) of users and films, clipped to ±3."""
    mean_u, std_u, mean_i, std_i = scale
    s_user = (np.log1p(np.asarray(users, np.float64)) - mean_u) / std_u
    s_item = (np.log1p(np.asarray(items, np.float64)) - mean_i) / std_i
    s_user = np.broadcast_to(s_user, np.shape(items))
    return np.clip(s_user, -_CLIP, _CLIP), np.clip(s_item, -_CLIP, _CLIP)
