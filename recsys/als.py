"""Alternating least squares: weighted MF for ranking, explicit biased MF for stars.

Each sweep solves every user against fixed items, then every item against fixed users, with
the batched solver in :mod:`recsys.solve`. Both are deterministic given their initial factors.
:class:`AlsStarSolver` is the star head's ALS solver, a peer of the Adam one in
:mod:`recsys.sgd`.
"""

from __future__ import annotations

import numpy as np
import torch

from recsys.config import TrainConfig
from recsys.interactions import Interactions
from recsys.metrics import rmse
from recsys.parallel import run_all
from recsys.solve import RowMatrix, solve_rows
from recsys.star import StarState


def init_factors(n: int, k: int, generator: torch.Generator, scale: float = 0.1) -> torch.Tensor:
    return torch.randn(n, k, generator=generator) * scale


def wmf_half_step(
    fixed: torch.Tensor, matrix: RowMatrix, unobserved_weight: float, reg: float
) -> torch.Tensor:
    """Solve each row of ``matrix`` for weighted MF: stars on rated cells (weight 1), zero on
    every other cell (weight w0). The w0 part is one shared Gram matrix, w0·FᵀF."""
    shared = unobserved_weight * (fixed.T @ fixed)
    # One value for every entry: a stride-0 view, not 25M copies of it.
    gram_weights = np.broadcast_to(np.float32(1.0 - unobserved_weight), matrix.values.shape)
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
    ones = np.broadcast_to(np.float32(1.0), targets.shape)
    solution = solve_rows(augmented, matrix, ones, targets.astype(np.float32, copy=False), reg)
    return solution[:, 0].contiguous(), solution[:, 1:].contiguous()


def predict_stars(
    global_mean: float,
    user_bias: torch.Tensor,
    item_bias: torch.Tensor,
    user_factors: torch.Tensor,
    item_factors: torch.Tensor,
    user_rows: np.ndarray,
    item_rows: np.ndarray,
) -> torch.Tensor:
    """μ + b_u + b_i + p_u · q_i for many (user row, item row) pairs, unclipped.

    In blocks with ``index_select``: indexing all 25M pairs at once gathers two 6 GB tensors,
    and tensor[index] is several times slower than ``index_select`` on the CPU.
    """
    out = torch.empty(len(user_rows), dtype=user_factors.dtype)

    def predict(lo: int) -> None:
        hi = min(lo + _PAIR_BLOCK, len(user_rows))
        u = torch.from_numpy(np.ascontiguousarray(user_rows[lo:hi], np.int64))
        i = torch.from_numpy(np.ascontiguousarray(item_rows[lo:hi], np.int64))
        dots = (user_factors.index_select(0, u) * item_factors.index_select(0, i)).sum(1)
        out[lo:hi] = global_mean + user_bias.index_select(0, u) + item_bias.index_select(0, i)
        out[lo:hi] += dots

    with torch.no_grad():
        run_all(predict, range(0, len(user_rows), _PAIR_BLOCK))
    return out


def state_predictions(state: StarState, global_mean: float, data: Interactions) -> torch.Tensor:
    """Unclipped star-head predictions for every rating of ``data``."""
    return predict_stars(
        global_mean, state.user_bias, state.item_bias, state.user_factors, state.item_factors,
        data.user_rows, data.item_rows,
    )  # fmt: skip


def state_rmse(
    state: StarState, global_mean: float, data: Interactions, scale: tuple[float, float]
) -> float:
    """RMSE on ``data`` of star-head predictions clipped to the rating ``scale``, as served."""
    predicted = state_predictions(state, global_mean, data).clamp(*scale)
    return rmse(predicted.numpy(), data.ratings)


class AlsStarSolver:
    """Explicit biased MF by ALS with weighted-λ regularisation and no implicit term; one call
    to :meth:`epoch` is one sweep, users then items (a :class:`recsys.star.StarSolver`)."""

    def __init__(
        self,
        train: Interactions,
        config: TrainConfig,
        global_mean: float,
        generator: torch.Generator,
        scale: tuple[float, float],
    ) -> None:
        self.train = train
        self.config = config
        self.global_mean = global_mean
        self.scale = scale
        k = config.factors
        self._state = StarState(
            user_bias=torch.zeros(train.n_users),
            item_bias=torch.zeros(train.n_items),
            user_factors=init_factors(train.n_users, k, generator),
            item_factors=init_factors(train.n_items, k, generator),
            implicit_factors=torch.zeros(train.n_items, k),
        )

    def epoch(self) -> float:
        """One sweep; returns the training RMSE after it, clipped to the rating scale."""
        cfg, now, mean = self.config, self._state, self.global_mean
        bu, pu = biased_half_step(
            now.item_factors, now.item_bias, self.train.by_user, mean, cfg.reg_factors,
            cfg.reg_bias,
        )  # fmt: skip
        bi, qi = biased_half_step(pu, bu, self.train.by_item, mean, cfg.reg_factors, cfg.reg_bias)
        self._state = StarState(bu, bi, pu, qi, now.implicit_factors)
        return state_rmse(self._state, mean, self.train, self.scale)

    def state(self) -> StarState:
        """Each sweep builds new tensors, so the current ones are safe to hand out."""
        return self._state


_PAIR_BLOCK = 1 << 14  # pairs per block: the gathered 4 MB slabs at k = 64 stay in cache
_ENTRY_BLOCK = 1 << 18  # entries per block of row sums below


def _row_blocks(indptr: np.ndarray, max_entries: int) -> list[tuple[int, int]]:
    """Consecutive row ranges holding about ``max_entries`` entries each (at least one row)."""
    blocks, lo, n_rows = [], 0, len(indptr) - 1
    while lo < n_rows:
        hi = int(np.searchsorted(indptr, indptr[lo] + max_entries, side="right")) - 1
        hi = min(max(hi, lo + 1), n_rows)
        blocks.append((lo, hi))
        lo = hi
    return blocks


def implicit_sums(implicit: torch.Tensor, by_user: RowMatrix) -> torch.Tensor:
    """|N(u)|^-½ Σ_{j∈N(u)} y_j for every user row (zeros for a user with no rating)."""
    lengths = by_user.lengths
    sums = np.zeros((by_user.n_rows, implicit.shape[1]), np.float64)
    if not bool(implicit.any()):  # the ALS star head has no implicit term
        return torch.from_numpy(sums.astype(np.float32))
    vectors = implicit.numpy()
    # By blocks of users, each summed in float64 as one reduceat: the same sums, in the same
    # order, as one reduceat over every rating, without a float64 copy of all gathered rows.
    for lo, hi in _row_blocks(by_user.indptr, _ENTRY_BLOCK):
        start, stop = by_user.indptr[lo], by_user.indptr[hi]
        has = lengths[lo:hi] > 0
        if start == stop:
            continue
        gathered = vectors[by_user.indices[start:stop]].astype(np.float64)
        block = sums[lo:hi]
        block[has] = np.add.reduceat(gathered, by_user.indptr[lo:hi][has] - start, axis=0)
    sums /= np.sqrt(np.maximum(lengths, 1))[:, None]
    return torch.from_numpy(sums.astype(np.float32))


def _implicit_offsets(
    item_factors: torch.Tensor, z: torch.Tensor, by_user: RowMatrix
) -> np.ndarray:
    """q_j · z_u for every entry (u, j) of ``by_user``, by blocks of users."""
    offsets = np.empty(len(by_user.indices), np.float32)
    q, zs = item_factors.numpy(), z.numpy()
    for lo, hi in _row_blocks(by_user.indptr, _ENTRY_BLOCK):
        start, stop = by_user.indptr[lo], by_user.indptr[hi]
        owners = np.repeat(np.arange(lo, hi), by_user.lengths[lo:hi])
        offsets[start:stop] = (q[by_user.indices[start:stop]] * zs[owners]).sum(1)
    return offsets


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
    offsets = _implicit_offsets(item_factors, z, by_user) if bool(z.any()) else None
    user_bias, free = biased_half_step(
        item_factors, item_bias, by_user, global_mean, reg_factors, reg_bias, offsets
    )
    return user_bias, free + z
