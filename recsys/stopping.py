"""Early stopping: when a head's validation metric stopped improving, and which epoch to keep.

Each head records one dict of metrics per epoch (``{"epoch": n, "val_rmse": …}``); these
read such a history.
"""

from __future__ import annotations

import numpy as np


def stalled(
    history: list[dict[str, float]], key: str, patience: int, minimise: bool, tolerance: float = 0.0
) -> bool:
    """True when the last ``patience`` epochs did not beat the best before them by more than
    ``tolerance`` (relative)."""
    if len(history) <= patience:
        return False
    values = [h[key] for h in history]
    before, recent = values[:-patience], values[-patience:]
    if minimise:
        return min(recent) >= min(before) * (1 - tolerance)
    return max(recent) <= max(before) * (1 + tolerance)


def best_epoch(history: list[dict[str, float]], key: str, minimise: bool) -> int:
    values = [h[key] for h in history]
    best = int(np.argmin(values) if minimise else np.argmax(values))
    return int(history[best]["epoch"])


def chosen_epoch(history: list[dict[str, float]], key: str, minimise: bool) -> int:
    """The epoch whose state was kept: the best on validation, else the last one."""
    if not history:
        return 0
    if key not in history[0]:
        return int(history[-1]["epoch"])
    return best_epoch(history, key, minimise)
