"""Batched regularised least squares: the half-step shared by every ALS solver and by fold-in.

For each row u with observed columns j, solve

    (G + Σ_j c_uj f_j f_jᵀ + λ_u I) x_u = Σ_j t_uj f_j

against a fixed factor matrix F. ``G`` carries whatever all rows share (for weighted MF, the
weight of every unobserved cell, w0·FᵀF), so the per-row work is only over observed entries.
Rows are solved in chunks of similar length, gathered into padded tensors and multiplied with
``bmm``: materialising one outer product per rating is two orders of magnitude slower.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class RowMatrix:
    """A sparse matrix in compressed-row form, with rows sorted by length for padded batches."""

    indptr: np.ndarray  # (n_rows + 1,) int64
    indices: np.ndarray  # (nnz,) int64, column of each entry
    values: np.ndarray  # (nnz,) float32

    @classmethod
    def from_coo(
        cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int
    ) -> RowMatrix:
        order = np.lexsort((cols, rows))
        counts = np.bincount(rows, minlength=n_rows)
        indptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, cols[order].astype(np.int64), values[order].astype(np.float32))

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.indptr)

    def transpose(self, n_cols: int) -> RowMatrix:
        rows = np.repeat(np.arange(self.n_rows), self.lengths)
        return RowMatrix.from_coo(self.indices, rows, self.values, n_cols)

    def row(self, r: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[r], self.indptr[r + 1]
        return self.indices[lo:hi], self.values[lo:hi]


def _chunks(lengths: np.ndarray, budget: int) -> list[np.ndarray]:
    """Rows grouped by similar length so that each padded chunk holds about ``budget`` entries."""
    order = np.argsort(lengths, kind="stable")
    widths = np.maximum(lengths[order], 1)
    chunks, start = [], 0
    while start < len(order):
        # Sorted ascending, so a chunk's last row is its widest: grow while the padding fits.
        rows = max(1, budget // int(widths[start]))
        stop = min(start + rows, len(order))
        while stop - start > 1 and (stop - start) * int(widths[stop - 1]) > budget:
            stop = start + max(1, budget // int(widths[stop - 1]))
        chunks.append(order[start:stop])
        start = stop
    return chunks


def solve_rows(
    fixed: torch.Tensor,
    matrix: RowMatrix,
    gram_weights: np.ndarray,
    rhs_weights: np.ndarray,
    reg: torch.Tensor | float,
    shared_gram: torch.Tensor | None = None,
    budget: int | None = None,
) -> torch.Tensor:
    """Solve every row of ``matrix`` against ``fixed`` (n_cols × k); returns (n_rows × k).

    ``gram_weights`` (c_uj) and ``rhs_weights`` (t_uj) are per-entry arrays aligned with
    ``matrix.indices``; ``reg`` is λ_u: a scalar, one value per row, or one value per row and
    dimension (n_rows × k) when, say, a bias column is regularised differently from the
    factors. A row with no entries gets the solution of ``G + λI`` against zero: zero.
    """
    n_rows, k = matrix.n_rows, fixed.shape[1]
    # About 4 MB of gathered factors per chunk: larger padded batches fall out of cache and
    # ran 5-10x slower here.
    budget = budget or max(1024, (1 << 20) // k)
    dtype = fixed.dtype
    padded_fixed = torch.cat([fixed, torch.zeros(1, k, dtype=dtype)])
    pad_col = fixed.shape[0]
    reg_rows = torch.as_tensor(reg, dtype=dtype)
    if reg_rows.dim() == 0:
        reg_rows = reg_rows.expand(n_rows)
    if reg_rows.dim() == 1:  # one λ per row: the same on every dimension
        reg_rows = reg_rows.unsqueeze(1).expand(n_rows, k)
    out = torch.zeros(n_rows, k, dtype=dtype)
    lengths = matrix.lengths
    cw = torch.from_numpy(np.ascontiguousarray(gram_weights, dtype=np.float32)).to(dtype)
    rw = torch.from_numpy(np.ascontiguousarray(rhs_weights, dtype=np.float32)).to(dtype)
    for rows in _chunks(lengths, budget):
        width = max(int(lengths[rows].max()), 1)
        starts = matrix.indptr[rows]
        offsets = np.arange(width)
        mask = offsets[None, :] < lengths[rows][:, None]
        pos = np.where(mask, starts[:, None] + offsets[None, :], 0)
        cols = np.where(mask, matrix.indices[pos], pad_col)
        mask_t = torch.from_numpy(mask)
        pos_t = torch.from_numpy(pos)
        gathered = padded_fixed[torch.from_numpy(cols)]  # (B, L, k)
        c = torch.where(mask_t, cw[pos_t], 0.0).unsqueeze(-1)
        t = torch.where(mask_t, rw[pos_t], 0.0).unsqueeze(-1)
        gram = torch.bmm((gathered * c).transpose(1, 2), gathered)
        if shared_gram is not None:
            gram += shared_gram
        gram += torch.diag_embed(reg_rows[torch.from_numpy(rows)])
        rhs = torch.bmm(gathered.transpose(1, 2), t)
        chol, info = torch.linalg.cholesky_ex(gram)
        if bool(info.any()):  # not positive definite (λ = 0 and too few entries): least squares
            solution = torch.linalg.lstsq(gram, rhs).solution
        else:
            solution = torch.cholesky_solve(rhs, chol)
        out[torch.from_numpy(rows)] = solution.squeeze(-1)
    return out
