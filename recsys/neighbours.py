"""Item-based neighbours on baseline residuals: a second, different kind of star predictor.

Prediction for user u and film i (Surprise's KNNBaseline, with neighbour lists fixed per film):

    b_ui + Σ_j s_ij (r_uj − b_uj) / Σ_j |s_ij|,   j over u's rated films among i's neighbours

where b_ui = μ + b_u + b_i are damped baseline biases and s_ij is the shrunk Pearson
correlation of baseline residuals. It needs no per-user parameters beyond a damped mean, so a
new user is folded in exactly. Blended with the factor model it corrects a different kind of
error: that is where a blend gains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from recsys.interactions import Interactions
from recsys.solve import RowMatrix

_CHUNK = 512  # films per block of the similarity computation


@dataclass(frozen=True)
class NeighbourHead:
    """Baseline biases and, for every film, its ``k`` most similar films (row ids) and weights."""

    global_mean: float
    item_bias: np.ndarray  # (n_items,) float32
    reg_user: float
    neighbour_rows: np.ndarray  # (n_items, k) int32
    neighbour_weights: np.ndarray  # (n_items, k) float32, 0 where a slot is unused

    def user_bias(self, rows: np.ndarray, stars: np.ndarray) -> float:
        """Damped mean residual of one user: the closed-form baseline fold-in."""
        residual = stars - self.global_mean - self.item_bias[rows]
        return float(residual.sum() / (len(rows) + self.reg_user))

    def corrections(
        self, rows: np.ndarray, stars: np.ndarray, user_bias: float, targets: np.ndarray
    ) -> np.ndarray:
        """Σ s_ij (r_uj − b_uj) / Σ |s_ij| for each target row; 0 where no neighbour was rated."""
        n_items = len(self.item_bias)
        residual = np.zeros(n_items + 1, np.float32)  # the last slot stays 0 for padding
        rated = np.zeros(n_items + 1, np.float32)
        residual[rows] = stars - self.global_mean - user_bias - self.item_bias[rows]
        rated[rows] = 1.0
        neighbours = self.neighbour_rows[targets]
        weights = self.neighbour_weights[targets]
        numerator = (weights * residual[neighbours]).sum(1)
        denominator = (np.abs(weights) * rated[neighbours]).sum(1)
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1e-9), 0.0)

    def predict(self, rows: np.ndarray, stars: np.ndarray, targets: np.ndarray) -> np.ndarray:
        bias = self.user_bias(rows, stars)
        base = self.global_mean + bias + self.item_bias[targets]
        return base + self.corrections(rows, stars, bias, targets)


def fit_neighbours(
    train: Interactions,
    k: int = 40,
    shrinkage: float = 100.0,
    reg_user: float = 15.0,
    reg_item: float = 10.0,
    max_items: int | None = None,
) -> NeighbourHead:
    """Damped baseline biases by alternating means, then the top-``k`` positive neighbours of
    every film by shrunk Pearson-baseline similarity, computed in blocks of films.

    ``max_items`` keeps the similarity work to the most rated films: only they get
    neighbours, chosen among themselves, and every other film predicts its baseline. The
    work grows with ratings × films, so at 25M ratings and 59k films the full computation
    is out of reach while a few thousand films carry most of the ratings.
    """
    mu = float(train.ratings.mean())
    centred = train.ratings.astype(np.float64) - mu
    user_count = np.bincount(train.user_rows, minlength=train.n_users)
    item_count = np.bincount(train.item_rows, minlength=train.n_items)
    bu, bi = np.zeros(train.n_users), np.zeros(train.n_items)
    for _ in range(10):
        bi = np.bincount(train.item_rows, centred - bu[train.user_rows], train.n_items)
        bi /= item_count + reg_item
        bu = np.bincount(train.user_rows, centred - bi[train.item_rows], train.n_users)
        bu /= user_count + reg_user
    residual = (centred - bu[train.user_rows] - bi[train.item_rows]).astype(np.float32)

    # Films that get neighbours ("candidates"), and each rating's candidate column.
    n_candidates = train.n_items if max_items is None else min(max_items, train.n_items)
    if n_candidates < train.n_items:
        candidates = np.sort(np.argsort(-item_count, kind="stable")[:n_candidates])
        column = np.full(train.n_items, -1)
        column[candidates] = np.arange(n_candidates)
        kept = column[train.item_rows] >= 0
        user_rows, item_cols = train.user_rows[kept], column[train.item_rows[kept]]
        residual = residual[kept]
    else:
        candidates = np.arange(train.n_items)
        user_rows, item_cols = train.user_rows, train.item_rows

    shape = (train.n_users, n_candidates)
    index = torch.from_numpy(np.vstack([user_rows, item_cols]))

    def sparse(values: np.ndarray) -> torch.Tensor:
        return torch.sparse_coo_tensor(
            index, torch.from_numpy(values), shape, check_invariants=True
        ).coalesce()

    d = sparse(residual)
    d_squared = sparse(residual**2)
    mask = sparse(np.ones_like(residual))
    dense_d = d.to_dense() if train.n_users * n_candidates <= 50_000_000 else None

    k = min(k, max(train.n_items - 1, 1))
    rows = np.zeros((train.n_items, k), np.int32)
    weights = np.zeros((train.n_items, k), np.float32)
    d_t, d_squared_t, mask_t = d.t(), d_squared.t(), mask.t()
    for start in range(0, n_candidates, _CHUNK):
        block = np.arange(start, min(start + _CHUNK, n_candidates))
        cols = torch.from_numpy(block)
        d_block = dense_d[:, cols] if dense_d is not None else d.index_select(1, cols).to_dense()
        present = (d_block != 0).float()  # a residual of exactly 0 counts as unrated: harmless
        # (items × block) products over users who rated both films.
        numerator = torch.sparse.mm(d_t, d_block)
        energy_other = torch.sparse.mm(d_squared_t, present)  # Σ d_uj² over common users
        energy_self = torch.sparse.mm(mask_t, d_block.pow(2))  # Σ d_ui² over common users
        common = torch.sparse.mm(mask_t, present)
        similarity = numerator / (torch.sqrt(energy_other * energy_self) + 1e-9)
        similarity *= (common - 1).clamp(min=0) / ((common - 1).clamp(min=0) + shrinkage)
        similarity = similarity.T  # (block × items): row = the film whose neighbours we want
        similarity[torch.arange(len(block)), cols] = 0.0
        top = similarity.clamp(min=0).topk(min(k, n_candidates), dim=1)
        width = top.indices.shape[1]
        rows[candidates[block], :width] = candidates[top.indices.numpy()]
        weights[candidates[block], :width] = top.values.numpy()
    return NeighbourHead(mu, bi.astype(np.float32), reg_user, rows, weights)


def predict_pairs(
    head: NeighbourHead, history: RowMatrix, user_rows: np.ndarray, item_rows: np.ndarray
) -> np.ndarray:
    """Neighbour-head stars for many (user row, item row) pairs, each user's ratings taken
    from ``history`` (a user-major matrix over the same rows)."""
    out = np.empty(len(user_rows), np.float64)
    order = np.argsort(user_rows, kind="stable")
    users, starts = np.unique(user_rows[order], return_index=True)
    for user, group in zip(users, np.split(order, starts[1:]), strict=True):
        rows, stars = history.row(int(user))
        out[group] = head.predict(rows, stars, item_rows[group])
    return out
