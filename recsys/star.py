"""The star head's parameters and the interface its two solvers share.

A solver owns the parameters while it trains: :meth:`StarSolver.epoch` runs one pass (an Adam
epoch or an ALS sweep) and returns the training RMSE it saw; :meth:`StarSolver.state` hands
out the parameters as they stand, which the trainer keeps when validation likes them. The two
solvers are :class:`recsys.sgd.AdamStarSolver` and :class:`recsys.als.AlsStarSolver`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch


@dataclass(frozen=True)
class StarState:
    """μ + b_u + b_i + p_u · q_i; ``user_factors`` already include any implicit term, and
    ``implicit_factors`` (the y_j of SVD++, zeros when unused) are kept for fold-in."""

    user_bias: torch.Tensor  # (n_users,)
    item_bias: torch.Tensor  # (n_items,)
    user_factors: torch.Tensor  # (n_users, k)
    item_factors: torch.Tensor  # (n_items, k)
    implicit_factors: torch.Tensor  # (n_items, k)


class StarSolver(Protocol):
    """What the trainer asks of a star-head solver, one epoch at a time."""

    def epoch(self) -> float:
        """One pass over the training ratings; returns the training RMSE."""
        ...

    def state(self) -> StarState:
        """The parameters as they stand; later epochs never change the returned tensors."""
        ...
