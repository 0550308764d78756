"""Small synthetic rating sets whose structure is known, and a fast training config."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys import TrainConfig


def low_rank_ratings(
    n_users: int = 80, n_items: int = 60, rank: int = 3, density: float = 0.6, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Ratings sampled from an exact μ + b_u + b_i + u·v matrix (no noise), and that matrix."""
    rng = np.random.default_rng(seed)
    users = rng.normal(0, 0.6, (n_users, rank))
    items = rng.normal(0, 0.6, (n_items, rank))
    truth = 3.5 + rng.normal(0, 0.3, (n_users, 1)) + rng.normal(0, 0.3, (1, n_items))
    truth = truth + users @ items.T
    observed = rng.random((n_users, n_items)) < density
    u, i = np.nonzero(observed)
    frame = pd.DataFrame(
        {
            "user_id": (u + 1).astype(np.int32),
            "item_id": (i * 10 + 7).astype(np.int32),  # external ids are not rows
            "rating": truth[u, i].astype(np.float32),
            "timestamp": np.arange(len(u), dtype=np.int64),
        }
    )
    return frame, truth


FAST = TrainConfig(
    factors=8, rank_factors=8, epochs=30, rank_sweeps=6, batch_size=512, learning_rate=0.02,
    reg_factors=0.02, reg_bias=0.01, reg_implicit=0.1, rank_reg=1.0, validation_share=0.0,
)  # fmt: skip


def wide_catalogue_ratings(
    n_users: int = 4000, n_items: int = 10_000, per_user: int = 60, seed: int = 0
) -> pd.DataFrame:
    """A wide, sparse catalogue as big releases have: long-tailed popularity (Zipf), and each
    user rates the films they are drawn to by taste among those they came across (Gumbel
    top-k over log-popularity plus taste), with stars from the same taste plus noise."""
    rng = np.random.default_rng(seed)
    rank = 8
    users, items = rng.normal(0, 0.45, (n_users, rank)), rng.normal(0, 0.45, (n_items, rank))
    log_popularity = -np.log(np.arange(1, n_items + 1) + 20.0)
    rng.shuffle(log_popularity)
    u_rows, i_rows = [], []
    for u in range(n_users):
        taste = items @ users[u]
        drawn = log_popularity + taste + rng.gumbel(size=n_items)
        i_rows.append(np.argpartition(-drawn, per_user)[:per_user])
        u_rows.append(np.full(per_user, u))
    u, i = np.concatenate(u_rows), np.concatenate(i_rows)
    raw = 3.5 + (users[u] * items[i]).sum(1) + rng.normal(0, 0.8, len(u))
    return pd.DataFrame(
        {
            "user_id": (u + 1).astype(np.int32),
            "item_id": (i + 1).astype(np.int32),
            "rating": np.clip(np.round(raw * 2) / 2, 0.5, 5.0).astype(np.float32),
            "timestamp": np.arange(len(u), dtype=np.int64),
        }
    )
