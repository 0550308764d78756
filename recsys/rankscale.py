"""The rank head's weights, carried from the data set they were tuned on to a bigger one.

:class:`~recsys.config.TrainConfig`'s ``rank_unobserved_weight`` (w0) and ``rank_reg`` (λ)
are tuned on MovieLens 100k: 1,682 films, about 100 ratings a user. Used as they are on a
catalogue thirty times wider, the weighted MF overfits: each row's normal equations weigh
w0 × films for the unrated cells plus the rated ones, so a fixed λ counts for less and less,
and the head's validation NDCG@10 fell from its second sweep on, below popularity's (25M
synthetic set: 0.042, 0.040, 0.037…; the guardrail then kept a quick model).

Two rules carry the settings over (measured on synthetic sets in bench/synthetic.py's
format, rank head alone, validation NDCG@10 at the best of 8 sweeps):

- λ grows with that weight, w0 × films + ratings per user, so it regularises as much as on
  ML-100k: at 30k films, w0 0.2 with λ 30 peaked at 0.0451 and fell to 0.0393; with λ 430
  it held 0.0658 (popularity: 0.0645).
- w0 shrinks as 1/√films: an unrated cell of a wide catalogue says less about taste (a
  film the user never came across). At 30k films w0 0.013 / 0.02 / 0.03 / 0.05 / 0.1 / 0.2
  (λ by the first rule) gave 0.0475 / 0.0576 / 0.0682 / 0.0761 / 0.0684 / 0.0658, the rule
  says 0.047; at 59k films 0.02 / 0.034 / 0.05 / 0.2 gave 0.0381 / 0.0410 / 0.0369 / 0.0378
  (popularity 0.0376), the rule says 0.034; at 12k films the tuned settings 0.0837, the
  carried ones 0.1026 (popularity 0.0840).

Nothing changes up to ML-100k's shape: below it there is nothing measured to scale by.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from recsys.config import TrainConfig

TUNED_FILMS = 1_682  # MovieLens 100k, where the defaults were tuned
TUNED_RATINGS_PER_USER = 106.0


@dataclass(frozen=True)
class RankWeights:
    """What the rank head is fitted with on one data set, and what fold-in solves with."""

    unobserved_weight: float
    reg: float


def rank_weights(config: TrainConfig, n_users: int, n_items: int, n_ratings: int) -> RankWeights:
    """``config``'s w0 and λ carried to a data set of this shape (module docstring)."""
    tuned_w0, tuned_reg = config.rank_unobserved_weight, config.rank_reg
    w0 = tuned_w0 * min(1.0, math.sqrt(TUNED_FILMS / max(n_items, 1)))
    weight = w0 * n_items + n_ratings / max(n_users, 1)
    tuned_weight = tuned_w0 * TUNED_FILMS + TUNED_RATINGS_PER_USER
    return RankWeights(w0, tuned_reg * max(1.0, weight / tuned_weight))
