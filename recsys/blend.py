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
    score). The identity blend (the default) serves the star head alone."""

    intercept: float = 0.0
    star: float = 1.0
    neighbours: float = 0.0
    taste: float = 0.0
    """The rank head's score says how much the user's taste fits the film."""

    @classmethod
    def fit(
        cls, star: np.ndarray, neighbours: np.ndarray, taste: np.ndarray, ratings: np.ndarray
    ) -> Blend:
        """Least-squares weights of the heads' predictions against ``ratings``."""
        design = np.column_stack([np.ones_like(star), star, neighbours, taste])
        weights = np.linalg.lstsq(design, ratings.astype(np.float64), rcond=None)[0]
        return cls(*(float(w) for w in weights))

    def apply(
        self, star: np.ndarray, neighbours: np.ndarray, taste: np.ndarray | None
    ) -> np.ndarray:
        """Blended stars, unclipped; ``taste`` may be None when its weight is 0."""
        out = self.intercept + self.star * star + self.neighbours * neighbours
        if self.taste:
            assert taste is not None, "a blend with a taste weight needs the rank-head scores"
            out = out + self.taste * taste
        return np.asarray(out)

    def to_list(self) -> list[float]:
        return list(astuple(self))

    @classmethod
    def from_list(cls, weights: Sequence[float]) -> Blend:
        """Files written before the taste weight hold three numbers; it is 0 for them."""
        return cls(*(float(w) for w in weights))
