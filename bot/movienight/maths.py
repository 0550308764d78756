"""Group suggestions for a movie night: the maths only, no Telegram and no storage.

Each counted member is a folded-in user vector; every candidate film gets one predicted-stars
row per member (``recsys.serving.predict_members``), and the group score is the average
*without misery*: a film some member is predicted to rate under a threshold is dropped, and the
threshold is lowered step by step when too few films survive it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

PICKS = 5  # films put to the vote (a poll's options)
MISERY_STARS = 3.0  # no film that some member is predicted to rate under this
RELAX_STEP = 0.5  # how far the threshold drops each time too few films survive it
LOWEST_STARS = 1.0  # below this the threshold is dropped altogether


@dataclass(frozen=True)
class GroupPick:
    item_id: int
    score: float  # mean predicted stars over the counted members
    best_for: int  # index (row of the predictions) of the member predicted to like it most


@dataclass(frozen=True)
class GroupSuggestion:
    picks: list[GroupPick]
    threshold: float | None  # the misery threshold that was used; None: it had to go


def suggest(
    predictions: np.ndarray,
    item_ids: np.ndarray,
    exclude: np.ndarray | Sequence[int] = (),
    *,
    n: int = PICKS,
    threshold: float = MISERY_STARS,
    step: float = RELAX_STEP,
    lowest: float = LOWEST_STARS,
) -> GroupSuggestion:
    """The ``n`` films with the best average predicted stars among those every member is
    predicted to rate at least ``threshold``; ``exclude`` (films any member rated or
    dismissed) never appear, nor do films with an unknown (NaN) prediction.

    The threshold drops by ``step`` while fewer than ``n`` films (or all allowed films, if
    there are fewer) survive it, down to ``lowest``; past that there is none. Equal averages
    go to the film whose least happy member is happier, then to the lower id.
    """
    predictions = np.atleast_2d(np.asarray(predictions, np.float64))
    item_ids = np.asarray(item_ids, np.int64)
    if predictions.shape != (predictions.shape[0], len(item_ids)) or predictions.shape[0] == 0:
        raise ValueError("predictions must be (members × films) with at least one member")
    allowed = np.isfinite(predictions).all(axis=0) & ~np.isin(item_ids, np.asarray(exclude))
    least = np.where(allowed, predictions.min(axis=0, initial=np.inf), -np.inf)
    needed = min(n, int(allowed.sum()))
    used: float | None = threshold
    while used is not None and int((least >= used).sum()) < needed:
        used = used - step if used - step >= lowest - 1e-9 else None
    survivors = np.flatnonzero(allowed if used is None else least >= used)
    mean = predictions[:, survivors].mean(axis=0)
    order = np.lexsort((item_ids[survivors], -least[survivors], -mean))[:n]
    chosen = survivors[order]
    best = predictions[:, chosen].argmax(axis=0)  # the first member on a tie
    picks = [
        GroupPick(int(item_ids[c]), float(mean[o]), int(b))
        for c, o, b in zip(chosen, order, best, strict=True)
    ]
    return GroupSuggestion(picks, used)


def winner(votes: Sequence[int], scores: Sequence[float]) -> int:
    """Index of the film with most votes; ties go to the higher group score, then to the
    earlier film."""
    if not votes or len(votes) != len(scores):
        raise ValueError("one vote count and one score per film")
    return max(range(len(votes)), key=lambda i: (votes[i], scores[i], -i))
