"""Batched regularised least squares: the half-step shared by every ALS solver and by fold-in.

For each row u with observed columns j, solve

    (G + Σ_j c_uj f_j f_jᵀ + λ_u I) x_u = Σ_j t_uj f_j

against a fixed factor matrix F. ``G`` carries whatever all rows share (for weighted MF, the
weight of every unobserved cell, w0·FᵀF), so the per-row work is only over observed entries.
Rows are solved in chunks of similar length, gathered into padded tensors and multiplied with
``bmm``: materialising one outer product per rating is two orders of magnitude slower.

Which entries go into which padded chunk never changes between sweeps, so a :class:`RowMatrix`
works it out once (:meth:`RowMatrix.plan`) and every later solve only gathers and multiplies.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import torch

from recsys.parallel import run_all
from recsys.spd import spd_solve

# Entries per padded chunk for k factors: about 4 MB of gathered factors. Larger chunks fall
# out of cache and ran 5-10x slower here.
_CHUNK_FLOATS = 1 << 20


@dataclass(frozen=True)
class Chunk:
    """Rows of similar length, padded to ``width`` entries each.

    ``cols`` (rows·width) indexes the fixed factors, padding pointing at an all-zero row past
    the last real one; ``entries`` indexes the matrix's entries (per-entry weights), padding
    pointing at entry 0: its weight multiplies the zero row, so any finite weight will do.
    """

    rows: torch.Tensor  # (B,) int64
    width: int
    cols: torch.Tensor  # (B·width,) int32 or int64
    entries: torch.Tensor  # (B·width,) int32 or int64


@dataclass(frozen=True)
class ChunkPlan:
    """Every non-empty row of a matrix, in padded chunks sorted by length."""

    chunks: list[Chunk]
    max_rows: int  # the most rows in one chunk
    max_entries: int  # the most padded entries in one chunk


@dataclass(frozen=True)
class RowMatrix:
    """A sparse matrix in compressed-row form, with rows sorted by length for padded batches."""

    indptr: np.ndarray  # (n_rows + 1,) int64
    indices: np.ndarray  # (nnz,) int64, column of each entry
    values: np.ndarray  # (nnz,) float32
    # Chunk plans by (entry budget, row cap, fixed rows): the arrays above never change.
    _plans: dict[tuple[int, int, int], ChunkPlan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_coo(
        cls, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_rows: int
    ) -> RowMatrix:
        order = _row_major_order(rows, cols, n_rows)
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

    def plan(self, budget: int, max_rows: int, n_fixed: int) -> ChunkPlan:
        """Padded chunks of at most ``budget`` entries and ``max_rows`` rows for solving
        against ``n_fixed`` fixed rows; built on first use, then reused."""
        key = (budget, max_rows, n_fixed)
        if key not in self._plans:
            self._plans[key] = _build_plan(self, budget, max_rows, n_fixed)
        return self._plans[key]


def _row_major_order(rows: np.ndarray, cols: np.ndarray, n_rows: int) -> np.ndarray:
    """The permutation sorting entries by (row, col), ties kept in input order: exactly what
    ``np.lexsort((cols, rows))`` gives, several times faster at 25M entries.

    Ratings files come sorted by user then film, so the user-major order is usually there
    already, and the film-major one needs only a stable sort by film. Stable sorts of integer
    keys go 16 bits at a time, where NumPy uses a radix sort.
    """
    if len(rows) < 2:
        return np.arange(len(rows))
    row_steps = np.diff(rows)
    if (row_steps >= 0).all():
        col_steps = np.diff(cols)
        if ((row_steps > 0) | (col_steps >= 0)).all():
            return np.arange(len(rows))
        order = _stable_argsort(cols, int(cols.max()) + 1)
    elif (np.diff(cols) >= 0).all():
        order = np.arange(len(rows))
    else:
        order = _stable_argsort(cols, int(cols.max()) + 1)
    by_row: np.ndarray = order[_stable_argsort(rows[order], n_rows)]
    return by_row


def _stable_argsort(keys: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for non-negative keys below ``bound``."""
    if bound <= 1 << 16:
        return np.argsort(keys.astype(np.uint16), kind="stable")
    if bound <= 1 << 32:
        order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
        high = (keys[order] >> 16).astype(np.uint16)
        return order[np.argsort(high, kind="stable")]
    return np.argsort(keys, kind="stable")


def _chunks(lengths: np.ndarray, budget: int, max_rows: int) -> list[np.ndarray]:
    """Non-empty rows grouped by similar length so that each padded chunk holds about
    ``budget`` entries and at most ``max_rows`` rows (each row also costs a k×k Gram)."""
    order = np.argsort(lengths, kind="stable")
    order = order[lengths[order] > 0]
    widths = lengths[order]
    chunks, start = [], 0
    while start < len(order):
        # Sorted ascending, so a chunk's last row is its widest: grow while the padding fits.
        rows = min(max_rows, max(1, budget // int(widths[start])))
        stop = min(start + rows, len(order))
        while stop - start > 1 and (stop - start) * int(widths[stop - 1]) > budget:
            stop = start + max(1, budget // int(widths[stop - 1]))
        chunks.append(order[start:stop])
        start = stop
    return chunks


def _build_plan(matrix: RowMatrix, budget: int, max_rows: int, n_fixed: int) -> ChunkPlan:
    lengths = matrix.lengths
    wide = max(len(matrix.indices), n_fixed) >= np.iinfo(np.int32).max
    index_type = np.int64 if wide else np.int32
    chunks: list[Chunk] = []
    for rows in _chunks(lengths, budget, max_rows):
        width = int(lengths[rows[-1]])
        offsets = np.arange(width)
        real = (offsets[None, :] < lengths[rows][:, None]).ravel()
        entries = (matrix.indptr[rows][:, None] + offsets[None, :]).ravel()
        entries = np.where(real, entries, 0)
        cols = np.where(real, matrix.indices[entries], n_fixed)
        chunks.append(
            Chunk(
                rows=torch.from_numpy(rows.astype(np.int64)),
                width=width,
                cols=torch.from_numpy(cols.astype(index_type)),
                entries=torch.from_numpy(entries.astype(index_type)),
            )
        )
    return ChunkPlan(
        chunks,
        max_rows=max((len(c.rows) for c in chunks), default=0),
        max_entries=max((len(c.cols) for c in chunks), default=0),
    )


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
    budget = budget or max(1024, _CHUNK_FLOATS // k)
    dtype = fixed.dtype
    out = torch.zeros(n_rows, k, dtype=dtype)
    # Each row's k×k Gram counts too: cap the rows so the Grams fit the same budget.
    plan = matrix.plan(budget, max(1, budget // k), fixed.shape[0])
    if not plan.chunks:
        return out
    constant = _constant(gram_weights)
    solver = _ChunkSolver(
        padded_fixed=torch.cat([fixed, torch.zeros(1, k, dtype=dtype)]),
        reg=_per_row_and_dim(reg, n_rows, k, dtype),
        rhs_weights=_as_tensor(rhs_weights, dtype),
        gram_weights=None if constant is not None else _as_tensor(gram_weights, dtype),
        constant=1.0 if constant is None else constant,
        shared_gram=shared_gram,
        plan=plan,
        out=out,
    )
    run_all(solver, plan.chunks)
    return out


@dataclass
class _ChunkSolver:
    """Solves one chunk of rows into ``out``; each thread calling it gets its own buffers."""

    padded_fixed: torch.Tensor  # fixed factors and a zero row for padding
    reg: torch.Tensor  # (n_rows, k)
    rhs_weights: torch.Tensor  # t_uj
    gram_weights: torch.Tensor | None  # c_uj, None when they are all ``constant``
    constant: float
    shared_gram: torch.Tensor | None
    plan: ChunkPlan
    out: torch.Tensor
    _local: threading.local = field(default_factory=threading.local)

    def buffers(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        # Reused for every chunk: fresh multi-megabyte tensors cost a page fault per 4 kB,
        # which here took longer than the arithmetic.
        if not hasattr(self._local, "buffers"):
            k, dtype = self.padded_fixed.shape[1], self.padded_fixed.dtype
            self._local.buffers = (
                torch.empty(self.plan.max_entries * k, dtype=dtype),
                torch.empty(self.plan.max_rows * k * k, dtype=dtype),
                torch.empty(self.plan.max_rows * k, dtype=dtype),
            )
        buffers: tuple[torch.Tensor, torch.Tensor, torch.Tensor] = self._local.buffers
        return buffers

    def __call__(self, chunk: Chunk) -> None:
        b, width, k = len(chunk.rows), chunk.width, self.padded_fixed.shape[1]
        gathered_buffer, gram_buffer, rhs_buffer = self.buffers()
        gathered = torch.index_select(
            self.padded_fixed, 0, chunk.cols, out=gathered_buffer[: b * width * k].view(-1, k)
        ).view(b, width, k)
        gram = gram_buffer[: b * k * k].view(b, k, k)
        if self.gram_weights is None:
            torch.bmm(gathered.mT, gathered, out=gram)
            if self.constant != 1.0:
                gram *= self.constant
        else:
            weights = self.gram_weights.index_select(0, chunk.entries).view(b, width, 1)
            torch.bmm((gathered * weights).mT, gathered, out=gram)
        if self.shared_gram is not None:
            gram += self.shared_gram
        gram.diagonal(dim1=1, dim2=2).add_(self.reg.index_select(0, chunk.rows))
        targets = self.rhs_weights.index_select(0, chunk.entries).view(b, 1, width)
        rhs = torch.bmm(targets, gathered, out=rhs_buffer[: b * k].view(b, 1, k))
        self.out.index_copy_(0, chunk.rows, spd_solve(gram, rhs.view(b, k)))


def _per_row_and_dim(
    reg: torch.Tensor | float, n_rows: int, k: int, dtype: torch.dtype
) -> torch.Tensor:
    reg_rows = torch.as_tensor(reg, dtype=dtype)
    if reg_rows.dim() == 0:
        reg_rows = reg_rows.expand(n_rows)
    if reg_rows.dim() == 1:  # one λ per row: the same on every dimension
        reg_rows = reg_rows.unsqueeze(1).expand(n_rows, k)
    return reg_rows.contiguous()


def _as_tensor(weights: np.ndarray, dtype: torch.dtype) -> torch.Tensor:
    """Per-entry weights as a tensor, sharing memory when they are float32 already."""
    array = np.ascontiguousarray(weights, np.float32)
    if not array.flags.writeable:  # torch warns about sharing read-only memory
        array = array.copy()
    return torch.from_numpy(array).to(dtype)


def _constant(weights: np.ndarray) -> float | None:
    """The one value of ``weights`` when they are all equal (WMF's 1 − w0, biased ALS's 1):
    then the Gram matrix is a plain product scaled once, not a product of weighted copies."""
    if len(weights) == 0:
        return 1.0
    first = weights[0]
    if weights.ndim == 1 and weights.strides[0] == 0:  # np.broadcast_to of one value
        return float(first)
    return float(first) if bool(np.all(weights == first)) else None
