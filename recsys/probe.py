"""Validation NDCG@10 of the rank head, measured after every sweep for early stopping."""

from __future__ import annotations

import numpy as np
import torch

from recsys.interactions import Interactions
from recsys.metrics import RELEVANT_STARS, ranking_metrics

_VALIDATION_USERS = 2000  # ranking validation on a sample keeps big data sets fast
_PROBE_BATCH = 250  # validation users scored at once


class RankProbe:
    """Validation NDCG@10 of the rank head on a fixed sample of validation users."""

    def __init__(self, train: Interactions, valid: Interactions, seed: int) -> None:
        liked = valid.ratings >= RELEVANT_STARS
        candidates = np.unique(valid.user_rows[liked])
        rng = np.random.default_rng(seed)
        if len(candidates) > _VALIDATION_USERS:
            candidates = np.sort(rng.choice(candidates, _VALIDATION_USERS, replace=False))
        self.users = torch.from_numpy(candidates)
        position = np.full(train.n_users, -1)
        position[candidates] = np.arange(len(candidates))
        shape = (len(candidates), train.n_items)
        self.seen = _mask(shape, position, train.user_rows, train.item_rows)
        self.relevant = _mask(shape, position, valid.user_rows[liked], valid.item_rows[liked])

    def ndcg(self, users: torch.Tensor, items: torch.Tensor) -> float:
        # In batches of users: all 2,000 rows of scores and their masked copy at once took
        # 1.8 GB at 59k films, the peak of a whole 25M-rating training run.
        total, counted = 0.0, 0
        for start in range(0, len(self.users), _PROBE_BATCH):
            batch = slice(start, start + _PROBE_BATCH)
            scores = users[self.users[batch]] @ items.T
            result = ranking_metrics(scores, self.seen[batch], self.relevant[batch], k=10)
            total += result.ndcg_sum
            counted += result.users
        return total / max(counted, 1)


def _mask(
    shape: tuple[int, int], position: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> torch.Tensor:
    mask = torch.zeros(shape, dtype=torch.bool)
    keep = position[rows] >= 0
    mask[torch.from_numpy(position[rows][keep]), torch.from_numpy(cols[keep])] = True
    return mask
