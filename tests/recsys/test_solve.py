"""The batched solver against a dense NumPy solve of every row, with chunks small enough that
every matrix is split into many of them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from recsys.als import implicit_sums, predict_stars
from recsys.solve import RowMatrix, solve_rows
from recsys.spd import spd_solve

K = 5


def random_matrix(
    rng: np.random.Generator, n_rows: int = 40, n_cols: int = 30, empty: int = 4
) -> RowMatrix:
    """Rows of very different lengths (0 to n_cols entries), some rows empty."""
    lengths = rng.integers(1, n_cols + 1, n_rows)
    lengths[rng.choice(n_rows, empty, replace=False)] = 0
    rows = np.repeat(np.arange(n_rows), lengths)
    cols = np.concatenate([rng.choice(n_cols, n, replace=False) for n in lengths])
    shuffle = rng.permutation(len(rows))  # from_coo must sort them back
    values = rng.normal(3.0, 1.0, len(rows)).astype(np.float32)
    return RowMatrix.from_coo(rows[shuffle], cols[shuffle], values[shuffle], n_rows)


def reference(
    fixed: np.ndarray,
    matrix: RowMatrix,
    gram_weights: np.ndarray,
    rhs_weights: np.ndarray,
    reg: np.ndarray,
    shared: np.ndarray | None,
) -> np.ndarray:
    """Row by row in float64: (G + Σ c f fᵀ + diag λ) x = Σ t f."""
    k = fixed.shape[1]
    out = np.zeros((matrix.n_rows, k))
    for r in range(matrix.n_rows):
        lo, hi = matrix.indptr[r], matrix.indptr[r + 1]
        f = fixed[matrix.indices[lo:hi]].astype(np.float64)
        gram = f.T @ (f * gram_weights[lo:hi, None]) + np.diag(reg[r])
        if shared is not None:
            gram += shared
        out[r] = np.linalg.solve(gram, f.T @ rhs_weights[lo:hi])
    return out


@pytest.mark.parametrize("budget", [8, 37, 1 << 16])
@pytest.mark.parametrize("kind", ["scalar", "per_row", "per_row_and_dim"])
@pytest.mark.parametrize("weights", ["varying", "ones", "constant"])
def test_solve_rows_matches_a_dense_solve_per_row(budget: int, kind: str, weights: str) -> None:
    rng = np.random.default_rng([budget, len(kind), len(weights)])
    matrix = random_matrix(rng)
    fixed = rng.normal(0, 1, (30, K)).astype(np.float32)
    nnz = len(matrix.indices)
    gram_weights = {
        "varying": rng.uniform(0.5, 2.0, nnz),
        "ones": np.ones(nnz),
        "constant": np.full(nnz, 0.8),
    }[weights].astype(np.float32)
    rhs_weights = rng.normal(0, 1, nnz).astype(np.float32)
    reg: float | np.ndarray = {
        "scalar": 0.7,
        "per_row": rng.uniform(0.1, 2.0, matrix.n_rows),
        "per_row_and_dim": rng.uniform(0.1, 2.0, (matrix.n_rows, K)),
    }[kind]
    shared = 0.2 * fixed.T.astype(np.float64) @ fixed if weights == "constant" else None
    full_reg = np.empty((matrix.n_rows, K))
    full_reg[:] = reg[:, None] if isinstance(reg, np.ndarray) and reg.ndim == 1 else reg

    got = solve_rows(
        torch.from_numpy(fixed),
        matrix,
        gram_weights,
        rhs_weights,
        torch.as_tensor(reg, dtype=torch.float32) if np.ndim(reg) else reg,
        shared_gram=None if shared is None else torch.from_numpy(shared.astype(np.float32)),
        budget=budget,
    )

    expected = reference(fixed, matrix, gram_weights, rhs_weights, full_reg, shared)
    np.testing.assert_allclose(got.numpy(), expected, rtol=2e-4, atol=2e-5)
    assert not got[torch.from_numpy(matrix.lengths == 0)].any()  # empty rows stay zero


def test_many_chunks_give_the_same_answer_as_one() -> None:
    rng = np.random.default_rng(1)
    matrix = random_matrix(rng, n_rows=200, n_cols=50, empty=10)
    fixed = torch.randn(50, K, generator=torch.Generator().manual_seed(0))
    weights = np.ones(len(matrix.indices), np.float32)
    one = solve_rows(fixed, matrix, weights, matrix.values, 0.5, budget=1 << 20)
    many = solve_rows(fixed, matrix, weights, matrix.values, 0.5, budget=20)
    assert len(matrix.plan(20, max(1, 20 // K), 50).chunks) > 20
    torch.testing.assert_close(one, many)


def test_the_chunk_plan_is_built_once_per_budget() -> None:
    matrix = random_matrix(np.random.default_rng(2))
    assert matrix.plan(16, 3, 30) is matrix.plan(16, 3, 30)
    assert matrix.plan(16, 3, 30) is not matrix.plan(32, 3, 30)
    planned = np.sort(np.concatenate([c.rows.numpy() for c in matrix.plan(16, 3, 30).chunks]))
    np.testing.assert_array_equal(planned, np.flatnonzero(matrix.lengths))  # each row once


def test_one_thread_and_several_agree() -> None:
    rng = np.random.default_rng(3)
    matrix = random_matrix(rng, n_rows=120)
    fixed = torch.from_numpy(rng.normal(0, 1, (30, K)).astype(np.float32))
    weights = np.ones(len(matrix.indices), np.float32)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = solve_rows(fixed, matrix, weights, matrix.values, 0.3, budget=16)
        torch.set_num_threads(2)
        shared = solve_rows(fixed, matrix, weights, matrix.values, 0.3, budget=16)
        assert torch.get_num_threads() == 2  # the workers leave the setting as it was
    finally:
        torch.set_num_threads(threads)
    torch.testing.assert_close(alone, shared, rtol=0, atol=0)


def test_a_singular_row_gets_the_least_squares_solution() -> None:
    # λ = 0 and one entry against three dimensions: Cholesky fails, lstsq takes over.
    matrix = RowMatrix.from_coo(
        np.array([0, 1, 1, 1, 1]),
        np.array([0, 0, 1, 2, 3]),
        np.array([2.0, 1.0, 2.0, 3.0, 4.0], np.float32),
        2,
    )
    fixed = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    ones = np.ones(5, np.float32)
    got = solve_rows(fixed, matrix, ones, matrix.values, 0.0)
    torch.testing.assert_close(got[0], torch.tensor([2.0, 0.0, 0.0]))
    gram = fixed.T @ fixed
    torch.testing.assert_close(gram @ got[1], fixed.T @ torch.tensor([1.0, 2.0, 3.0, 4.0]))


def test_spd_solve_solves_a_batch() -> None:
    a = torch.randn(7, 6, 6, generator=torch.Generator().manual_seed(4))
    gram = a @ a.mT + torch.eye(6)
    rhs = torch.randn(7, 6, generator=torch.Generator().manual_seed(5))
    x = spd_solve(gram.clone(), rhs)
    torch.testing.assert_close((gram @ x.unsqueeze(-1)).squeeze(-1), rhs, rtol=1e-4, atol=1e-4)


def test_from_coo_sorts_by_row_then_column() -> None:
    rng = np.random.default_rng(6)
    rows = rng.integers(0, 50, 1000)
    cols = rng.integers(0, 70, 1000)
    values = rng.random(1000).astype(np.float32)
    matrix = RowMatrix.from_coo(rows, cols, values, 60)
    order = np.lexsort((cols, rows))
    np.testing.assert_array_equal(matrix.indices, cols[order])
    np.testing.assert_array_equal(matrix.values, values[order])
    np.testing.assert_array_equal(matrix.lengths, np.bincount(rows, minlength=60))
    empty = RowMatrix.from_coo(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), 3)
    np.testing.assert_array_equal(empty.indptr, [0, 0, 0, 0])


def test_predict_stars_is_bias_plus_dot_product() -> None:
    rng = np.random.default_rng(7)
    users, items = rng.integers(0, 9, 50_000), rng.integers(0, 11, 50_000)
    bu, bi = torch.randn(9), torch.randn(11)
    p, q = torch.randn(9, 4), torch.randn(11, 4)
    got = predict_stars(3.5, bu, bi, p, q, users, items)
    u, i = torch.from_numpy(users), torch.from_numpy(items)
    torch.testing.assert_close(got, 3.5 + bu[u] + bi[i] + (p[u] * q[i]).sum(1))


def test_implicit_sums_are_normalised_sums_per_user() -> None:
    rng = np.random.default_rng(8)
    matrix = random_matrix(rng, n_rows=30, n_cols=20)
    implicit = torch.randn(20, 3, generator=torch.Generator().manual_seed(9))
    got = implicit_sums(implicit, matrix).numpy()
    for r in range(matrix.n_rows):
        cols, _ = matrix.row(r)
        expected = implicit.numpy()[cols].sum(0) / np.sqrt(max(len(cols), 1))
        np.testing.assert_allclose(got[r], expected, rtol=1e-5, atol=1e-6)
    assert not implicit_sums(torch.zeros(20, 3), matrix).any()


@pytest.mark.parametrize("layout", ["sorted", "rows_sorted", "cols_sorted", "random"])
@pytest.mark.parametrize("n_rows", [50, 70_000])  # one radix pass, or two
def test_from_coo_matches_lexsort_for_every_input_order(layout: str, n_rows: int) -> None:
    rng = np.random.default_rng(n_rows)
    rows = rng.integers(0, n_rows, 3000)
    cols = rng.integers(0, 80_000, 3000)
    rows[:10], cols[:10] = 7, 5  # repeated (row, col) pairs keep their input order
    if layout == "sorted":
        order = np.lexsort((cols, rows))
    elif layout == "rows_sorted":
        order = np.argsort(rows, kind="stable")
    elif layout == "cols_sorted":
        order = np.argsort(cols, kind="stable")
    else:
        order = rng.permutation(3000)
    rows, cols = rows[order], cols[order]
    values = np.arange(3000, dtype=np.float32)
    matrix = RowMatrix.from_coo(rows, cols, values, n_rows)
    expected = np.lexsort((cols, rows))
    np.testing.assert_array_equal(matrix.indices, cols[expected])
    np.testing.assert_array_equal(matrix.values, values[expected])
