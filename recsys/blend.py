"""How the served stars combine the heads: a linear blend fitted on validation ratings.

Shared by the trainer, which fits it, and the model, which applies and saves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass

import numpy as np


@dataclass(frozen=True)
class Blend:
    """stars = intercept + star·(star head) + neighbours·(neighbour head) + taste·(rank-head
    score) + bayes·(Bayesian head). The identity blend (the default) serves the star head
    alone."""

    intercept: float = 0.0
    star: float = 1.0
    neighbours: float = 0.0
    taste: float = 0.0
    """The rank head's score says how much the user's taste fits the film."""
    bayes: float = 0.0
    """The Bayesian head's stars (recsys/bayes.py)."""

    @classmethod
    def fit(
        cls,
        star: np.ndarray,
        neighbours: np.ndarray | None,
        taste: np.ndarray,
        ratings: np.ndarray,
        bayes: np.ndarray | None = None,
    ) -> Blend:
        """Least-squares weights of the heads' predictions against ``ratings``; a head that
        is None gets weight 0."""
        columns = [np.ones_like(star), star, neighbours, taste, bayes]
        used = [i for i, column in enumerate(columns) if column is not None]
        design = np.column_stack([c for c in columns if c is not None])
        solved = np.linalg.lstsq(design, ratings.astype(np.float64), rcond=None)[0]
        weights = np.zeros(len(columns))
        weights[used] = solved
        return cls(*(float(w) for w in weights))

    def apply(
        self,
        star: np.ndarray,
        neighbours: np.ndarray | None,
        taste: np.ndarray | None,
        bayes: np.ndarray | None = None,
    ) -> np.ndarray:
        """Blended stars, unclipped; a head's input may be None when its weight is 0."""
        out = self.intercept + self.star * star
        for weight, head, name in (
            (self.neighbours, neighbours, "neighbour-head stars"),
            (self.taste, taste, "rank-head scores"),
            (self.bayes, bayes, "Bayesian-head stars"),
        ):
            if weight:
                assert head is not None, f"a blend with a weight on them needs the {name}"
                out = out + weight * head
        return np.asarray(out)

    def uses(self) -> tuple[bool, bool]:
        """Whether serving needs the neighbour head and the Bayesian head."""
        return self.neighbours != 0, self.bayes != 0

    def to_list(self) -> list[float]:
        return list(astuple(self))

    @classmethod
    def from_list(cls, weights: Sequence[float]) -> Blend:
        """Files written before the taste and Bayes weights hold three or four numbers; the
        missing weights are 0."""
        return cls(*(float(w) for w in weights))
