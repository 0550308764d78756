"""Alternating least squares: weighted MF for ranking, explicit biased MF for stars.

Each sweep solves every user against fixed items, then every item against fixed users, with
the batched solver in :mod:`recsys.solve`. Both are deterministic given their initial factors.
"""

from __future__ import annotations

import numpy as np
import torch

from recsys.interactions import Interactions
from recsys.solve import RowMatrix, solve_rows


def init_factors(n: int, k: int, generator: torch.Generator, scale: float = 0.1) -> torch.Tensor:
    return torch.randn(n, k, generator=generator) * scale


def wmf_half_step(
    fixed: torch.Tensor, matrix: RowMatrix, unobserved_weight: float, reg: float
) -> torch.Tensor:
    """Solve each row of ``matrix`` for weighted MF: stars on rated cells (weight 1), zero on
    every other cell (weight w0). The w0 part is one shared Gram matrix, w0·FᵀF."""
    shared = unobserved_weight * (fixed.T @ fixed)
    gram_weights = np.full(len(matrix.values), 1.0 - unobserved_weight, np.float32)
    return solve_rows(fixed, matrix, gram_weights, matrix.values, reg, shared_gram=shared)


def wmf_sweep(
    train: Interactions,
    users: torch.Tensor,
    items: torch.Tensor,
    unobserved_weight: float,
    reg: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    users = wmf_half_step(items, train.by_user, unobserved_weight, reg)
    items = wmf_half_step(users, train.by_item, unobserved_weight, reg)
    return users, items


def biased_half_step(
    fixed_factors: torch.Tensor,
    fixed_bias: torch.Tensor,
    matrix: RowMatrix,
    global_mean: float,
    reg_factors: float,
    reg_bias: float,
    offsets: np.ndarray | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve each row's bias and factors against the fixed side, weighted-λ regularised:
    a row with n ratings pays n·λ, so heavy raters are not shrunk less than light ones.

    ``offsets`` (one per entry) is a known part of each prediction to fit around, such as
    the implicit term of SVD++.
    """
    n_fixed, k = fixed_factors.shape
    augmented = torch.cat([torch.ones(n_fixed, 1), fixed_factors], dim=1)
    targets = matrix.values - global_mean - fixed_bias.numpy()[matrix.indices]
    if offsets is not None:
        targets = targets - offsets
    counts = torch.from_numpy(matrix.lengths.astype(np.float32))
    per_dim = torch.tensor([reg_bias] + [reg_factors] * k, dtype=torch.float32)
    reg = counts.unsqueeze(1) * per_dim + 1e-6  # an empty row stays at zero
    ones = np.ones(len(targets), np.float32)
    solution = solve_rows(augmented, matrix, ones, targets.astype(np.float32), reg)
    return solution[:, 0].contiguous(), solution[:, 1:].contiguous()


def implicit_sums(implicit: torch.Tensor, by_user: RowMatrix) -> torch.Tensor:
    """|N(u)|^-½ Σ_{j∈N(u)} y_j for every user row (zeros for a user with no rating)."""
    lengths = by_user.lengths
    sums = np.zeros((by_user.n_rows, implicit.shape[1]), np.float64)
    has = lengths > 0
    gathered = implicit.numpy()[by_user.indices].astype(np.float64)
    sums[has] = np.add.reduceat(gathered, by_user.indptr[:-1][has], axis=0)
    sums /= np.sqrt(np.maximum(lengths, 1))[:, None]
    return torch.from_numpy(sums.astype(np.float32))


def refit_users(
    item_bias: torch.Tensor,
    item_factors: torch.Tensor,
    implicit: torch.Tensor,
    data: Interactions,
    global_mean: float,
    reg_factors: float,
    reg_bias: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Every user's bias and factors solved in closed form on all of ``data``, items fixed.

    The same solve as fold-in, applied to the users of a gradient-trained star head: it brings
    in ratings the head never saw (the validation share) in a fraction of a second. Returns
    user bias and user factors, implicit term included.
    """
    by_user = data.by_user
    z = implicit_sums(implicit, by_user)
    owners = np.repeat(np.arange(by_user.n_rows), by_user.lengths)
    offsets = (item_factors.numpy()[by_user.indices] * z.numpy()[owners]).sum(1)
    user_bias, free = biased_half_step(
        item_factors, item_bias, by_user, global_mean, reg_factors, reg_bias, offsets
    )
    return user_bias, free + z
