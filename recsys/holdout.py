"""A fixed holdout of ratings, the same for every training run: models trained at different
times are compared on cells that none of them has seen."""

from __future__ import annotations

import numpy as np
import pandas as pd

HOLDOUT_SHARE = 0.05


def holdout_mask(
    user_ids: np.ndarray, item_ids: np.ndarray, share: float = HOLDOUT_SHARE
) -> np.ndarray:
    """True for the (user, item) cells held out; a hash of the pair, not of the row order, so
    a rating stays in or out of the holdout however the data grows."""
    u = np.asarray(user_ids, np.uint64)
    i = np.asarray(item_ids, np.uint64)
    with np.errstate(over="ignore"):  # wrapping multiplication is the hash
        mixed = u * np.uint64(0x9E3779B97F4A7C15) ^ (i + np.uint64(0x632BE59BD9B4E019))
        mixed ^= mixed >> np.uint64(29)
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(32)
    return (mixed % np.uint64(10_000)) < np.uint64(round(share * 10_000))


def split_holdout(ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, holdout) of a ratings frame under :func:`holdout_mask`."""
    held = holdout_mask(ratings["user_id"].to_numpy(), ratings["item_id"].to_numpy())
    return ratings[~held], ratings[held]
