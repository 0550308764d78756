"""Biased MF trained by minibatch Adam on mean-normalised ratings, with L2 regularisation and
an optional SVD++-style implicit term: the classic gradient method, made fast enough to serve.

Prediction: μ + b_u + b_i + q_i · (p_u + |N(u)|^-½ Σ_{j∈N(u)} y_j).
Regularisation is per rating in each minibatch, so over an epoch a user with n ratings pays
n·λ: the same weighted-λ objective that the closed-form fold-in solves.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from recsys.config import TrainConfig
from recsys.interactions import Interactions
from recsys.star import StarState


class _SparseProduct(torch.autograd.Function):
    """``matrix @ dense`` with the gradient ``matrixᵀ @ grad``, both as CSR products.

    ``embedding_bag``'s CPU backward spent 9 ms a step here; two CSR products take well
    under one.
    """

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx,
        matrix: torch.Tensor,
        transposed: torch.Tensor,
        dense: torch.Tensor,
    ) -> torch.Tensor:
        ctx.transposed = transposed  # type: ignore[attr-defined]
        return matrix @ dense

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[None, None, torch.Tensor]:
        return None, None, ctx.transposed @ grad  # type: ignore[attr-defined]


def _csr(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> torch.Tensor:
    order = np.lexsort((cols, rows))
    indptr = np.zeros(shape[0] + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    with warnings.catch_warnings():  # "CSR support is in beta": the product is all we use
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(indptr),
            torch.from_numpy(cols[order].astype(np.int64)),
            torch.from_numpy(values[order]),
            shape,
            check_invariants=True,
        )


class AdamStarSolver:
    """Owns the star-head parameters and their optimiser; one call to :meth:`epoch` is one
    shuffled pass of minibatches (a :class:`recsys.star.StarSolver`)."""

    def __init__(
        self,
        train: Interactions,
        config: TrainConfig,
        global_mean: float,
        generator: torch.Generator,
    ) -> None:
        self.config = config
        self.global_mean = global_mean
        self.generator = generator
        k = config.factors
        n_users, n_items = train.n_users, train.n_items
        self.user_bias = torch.zeros(n_users, requires_grad=True)
        self.item_bias = torch.zeros(n_items, requires_grad=True)
        self.user_factors = (torch.randn(n_users, k, generator=generator) * 0.05).requires_grad_()
        self.item_factors = (torch.randn(n_items, k, generator=generator) * 0.05).requires_grad_()
        self.implicit = torch.zeros(n_items, k, requires_grad=config.implicit)
        params = [self.user_bias, self.item_bias, self.user_factors, self.item_factors]
        if config.implicit:
            params.append(self.implicit)
        self.optimizer = torch.optim.Adam(params, lr=config.learning_rate)
        self.users = torch.from_numpy(train.user_rows)
        self.items = torch.from_numpy(train.item_rows)
        self.targets = torch.from_numpy(train.ratings - np.float32(global_mean))
        # N: users × items, 1/sqrt(|N(u)|) on every rated cell; implicit term = N @ Y.
        lengths = np.bincount(train.user_rows, minlength=n_users)
        weights = (1.0 / np.sqrt(np.maximum(lengths, 1)))[train.user_rows].astype(np.float32)
        self.normalised = _csr(train.user_rows, train.item_rows, weights, (n_users, n_items))
        self.normalised_t = _csr(train.item_rows, train.user_rows, weights, (n_items, n_users))

    def implicit_term(self) -> torch.Tensor:
        """|N(u)|^-½ Σ_{j∈N(u)} y_j for every user at once (n_users × k)."""
        # torch declares Function.apply without annotations.
        term: torch.Tensor = _SparseProduct.apply(  # type: ignore[no-untyped-call]
            self.normalised, self.normalised_t, self.implicit
        )
        return term

    def epoch(self) -> float:
        """One shuffled pass over the training ratings; returns the training RMSE seen."""
        # On one thread: each step's ops are small (a minibatch × k), so splitting them over
        # threads buys little and, with other processes on the cores, every op waits at a
        # barrier for a descheduled thread: 2 threads took 10x longer than 1 on a loaded
        # 2-core machine (ML-100k, load average 5).
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._epoch()
        finally:
            torch.set_num_threads(threads)

    def _epoch(self) -> float:
        cfg = self.config
        order = torch.randperm(len(self.targets), generator=self.generator)
        total, count = 0.0, 0
        for start in range(0, len(order), cfg.batch_size):
            batch = order[start : start + cfg.batch_size]
            u, i, r = self.users[batch], self.items[batch], self.targets[batch]
            p = self.user_factors[u]
            q = self.item_factors[i]
            bu, bi = self.user_bias[u], self.item_bias[i]
            if cfg.implicit:
                # Only the users in this batch need their implicit sums.
                p = p + self.implicit_term()[u]
                y_penalty = self.implicit[i].pow(2).sum(1).mean()
            else:
                y_penalty = torch.zeros(())
            error = r - (bu + bi + (p * q).sum(1))
            mse = error.pow(2).mean()
            loss = (
                mse
                + cfg.reg_factors * (self.user_factors[u].pow(2).sum(1) + q.pow(2).sum(1)).mean()
                + cfg.reg_bias * (bu.pow(2) + bi.pow(2)).mean()
                + cfg.reg_implicit * y_penalty
            )
            self.optimizer.zero_grad(set_to_none=True)
            torch.autograd.backward(loss)
            self.optimizer.step()
            total += float(mse.detach()) * len(batch)
            count += len(batch)
        for group in self.optimizer.param_groups:
            group["lr"] *= cfg.learning_rate_decay
        return float(np.sqrt(total / count))

    @torch.no_grad()
    def state(self) -> StarState:
        """Detached copies of the parameters; user factors include the implicit term."""
        user_factors = self.user_factors.detach().clone()
        if self.config.implicit:
            user_factors += self.implicit_term()
        return StarState(
            user_bias=self.user_bias.detach().clone(),
            item_bias=self.item_bias.detach().clone(),
            user_factors=user_factors,
            item_factors=self.item_factors.detach().clone(),
            implicit_factors=self.implicit.detach().clone(),
        )
