"""Batched solves of small symmetric positive definite systems, the last step of every ALS
half-step."""

from __future__ import annotations

import torch


def spd_solve(gram: torch.Tensor, rhs: torch.Tensor) -> torch.Tensor:
    """x with ``gram[b] @ x[b] = rhs[b]`` for a batch of (k × k) matrices and (k,) vectors.

    A batch holding a matrix that is not positive definite (λ = 0 and too few entries) gets
    minimum-norm least-squares solutions instead.
    """
    chol, info = torch.linalg.cholesky_ex(gram)
    if bool(info.any()):
        # gelsd (SVD), not the default gelsy: gelsy returned 0 instead of the minimum-norm
        # solution for a rank-deficient matrix in about 1 call in 6 here.
        solution: torch.Tensor = torch.linalg.lstsq(
            gram, rhs.unsqueeze(-1), driver="gelsd"
        ).solution
        return solution.squeeze(-1)
    return torch.cholesky_solve(rhs.unsqueeze(-1), chol).squeeze(-1)
