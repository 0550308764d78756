"""Accuracy and ranking metrics as small pure functions.

Ranking protocol: for each user, rank every item they did not rate in training; the relevant
items are their held-out ratings of 4 stars or more; users with no relevant item are skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch

RELEVANT_STARS = 4.0


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    predicted, actual = np.asarray(predicted, np.float64), np.asarray(actual, np.float64)
    return float(np.sqrt(np.mean((predicted - actual) ** 2)))


def mae(predicted: np.ndarray, actual: np.ndarray) -> float:
    predicted, actual = np.asarray(predicted, np.float64), np.asarray(actual, np.float64)
    return float(np.mean(np.abs(predicted - actual)))


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def ndcg_at_k(recommended: Sequence[int], relevant: set[int], k: int = 10) -> float:
    """Binary-relevance NDCG of one ranked list."""
    gains = np.array([item in relevant for item in recommended[:k]], np.float64)
    ideal = _discounts(min(len(relevant), k)).sum()
    return float(gains @ _discounts(len(gains)) / ideal) if ideal else 0.0


def precision_at_k(recommended: Sequence[int], relevant: set[int], k: int = 10) -> float:
    return sum(item in relevant for item in recommended[:k]) / k


def recall_at_k(recommended: Sequence[int], relevant: set[int], k: int = 10) -> float:
    if not relevant:
        return 0.0
    return sum(item in relevant for item in recommended[:k]) / len(relevant)


def coverage(recommended_lists: Sequence[Sequence[int]], n_items: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    seen = {item for items in recommended_lists for item in items}
    return len(seen) / n_items if n_items else 0.0


class RankingSums(NamedTuple):
    """Sums over the users of one batch (those with a relevant item), to accumulate over
    batches, and their top-k item rows."""

    users: int
    ndcg_sum: float
    precision_sum: float
    recall_sum: float
    top: torch.Tensor


def ranking_metrics(
    scores: torch.Tensor,
    seen: torch.Tensor,
    relevant: torch.Tensor,
    k: int = 10,
) -> RankingSums:
    """Batched NDCG/precision/recall@k over users (rows) at once.

    ``scores``: (users × items) float; ``seen``: bool mask of items rated in training, never
    recommended; ``relevant``: bool mask of held-out items rated ≥ 4.
    """
    masked = scores.masked_fill(seen, float("-inf"))
    top = masked.topk(k, dim=1).indices
    hits = relevant.gather(1, top).to(torch.float64)
    n_relevant = relevant.sum(1)
    users = n_relevant > 0
    discounts = torch.from_numpy(_discounts(k))
    dcg = hits @ discounts
    ideal_cum = torch.cumsum(discounts, 0)
    idcg = ideal_cum[(n_relevant.clamp(1, k) - 1)]
    return RankingSums(
        users=int(users.sum()),
        ndcg_sum=float((dcg / idcg)[users].sum()),
        precision_sum=float((hits.sum(1) / k)[users].sum()),
        recall_sum=float((hits.sum(1) / n_relevant.clamp(min=1))[users].sum()),
        top=top[users],
    )
