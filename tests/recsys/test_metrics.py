"""Metrics against values computed by hand."""

import math

import numpy as np
import pytest
import torch

from recsys.metrics import (
    coverage,
    mae,
    ndcg_at_k,
    precision_at_k,
    ranking_metrics,
    recall_at_k,
    rmse,
)


def test_rmse_and_mae_by_hand() -> None:
    predicted, actual = [3.0, 4.0, 1.0], [2.0, 4.0, 3.0]
    assert rmse(predicted, actual) == pytest.approx(math.sqrt((1 + 0 + 4) / 3))
    assert mae(predicted, actual) == pytest.approx((1 + 0 + 2) / 3)


def test_ndcg_by_hand() -> None:
    # Hits at ranks 1 and 3 out of 2 relevant items.
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    idcg = 1 / math.log2(2) + 1 / math.log2(3)
    assert ndcg_at_k([7, 8, 9], {7, 9}, k=3) == pytest.approx(dcg / idcg)
    assert ndcg_at_k([1, 2], {1, 2}, k=2) == pytest.approx(1.0)
    assert ndcg_at_k([1, 2], set(), k=2) == 0.0


def test_precision_recall_coverage_by_hand() -> None:
    assert precision_at_k([1, 2, 3, 4], {2, 4, 9}, k=4) == pytest.approx(0.5)
    assert recall_at_k([1, 2, 3, 4], {2, 4, 9}, k=4) == pytest.approx(2 / 3)
    assert coverage([[1, 2], [2, 3]], n_items=6) == pytest.approx(0.5)


def test_batched_ranking_matches_the_one_list_functions() -> None:
    rng = np.random.default_rng(1)
    scores = torch.from_numpy(rng.random((6, 20)).astype(np.float32))
    seen = torch.from_numpy(rng.random((6, 20)) < 0.3)
    relevant = torch.from_numpy(rng.random((6, 20)) < 0.25) & ~seen
    relevant[0] = False  # a user with nothing relevant is skipped
    result = ranking_metrics(scores, seen, relevant, k=5)
    expected_ndcg, expected_p, users = 0.0, 0.0, 0
    for u in range(6):
        rel = set(np.flatnonzero(relevant[u].numpy()).tolist())
        if not rel:
            continue
        ranked = [i for i in np.argsort(-scores[u].numpy()) if not seen[u, i]]
        expected_ndcg += ndcg_at_k(ranked, rel, 5)
        expected_p += precision_at_k(ranked, rel, 5)
        users += 1
    assert result.users == users
    assert result.ndcg_sum == pytest.approx(expected_ndcg)
    assert result.precision_sum == pytest.approx(expected_p)
