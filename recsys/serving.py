"""Serving a trained model to people: which films to show, in what order, and why.

What the bot needs beyond :class:`~recsys.model.FactorModel`'s own calls, as functions of a
model: the films it can show out of a catalogue, a list reordered so that films the user is
expected to dislike sink, the liked films that explain a pick, and a group's predictions.
The bot asks these questions and renders the answers; the maths lives here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.data.types import Catalog
from recsys.model import FactorModel, UserVector
from recsys.modelcache import per_model

LIKED_STARS = 4.0  # a rating from which a film counts as liked (and may explain a pick)
LIKELY_STARS = 3.0  # predicted stars under which a film sinks in a recommendation list
BECAUSE = 2  # liked films named as the reason for one pick
BECAUSE_SIMILARITY = 0.2  # how close (cosine) a liked film must be to explain a pick


def known_films(
    model: FactorModel, catalog: Catalog, allowed: np.ndarray | None = None
) -> np.ndarray:
    """The model's films that the catalogue has (and that are in ``allowed``), in model order."""
    ids = model.item_ids
    keep = np.isin(ids, catalog.item_ids)
    if allowed is not None:
        keep &= np.isin(ids, allowed)
    return ids[keep]


def rating_arrays(pairs: Sequence[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(item ids, stars) as the arrays ``fold_in`` takes, from (item id, stars) pairs."""
    ids = np.fromiter((item for item, _ in pairs), np.int64, len(pairs))
    stars = np.fromiter((value for _, value in pairs), np.float32, len(pairs))
    return ids, stars


def likely_liked_first(
    model: FactorModel, vector: UserVector | None, ids: np.ndarray, threshold: float = LIKELY_STARS
) -> np.ndarray:
    """Keep the rank head's order, but move films the star head expects the user to
    dislike (under ``threshold`` stars) behind the rest: "you will probably watch it" is not
    enough."""
    if vector is None or len(ids) == 0:
        return ids
    liked = model.predict(vector, ids) >= threshold
    return np.concatenate([ids[liked], ids[~liked]])


def because(
    model: FactorModel,
    shown: np.ndarray,
    rated_ids: np.ndarray,
    rated_stars: np.ndarray,
    *,
    n: int = BECAUSE,
    min_similarity: float = BECAUSE_SIMILARITY,
) -> dict[int, list[int]]:
    """For each shown film, the (up to ``n``) liked films most similar to it by rank-head
    cosine, best first, leaving out those under ``min_similarity``; {} when nothing is liked."""
    liked = rated_ids[rated_stars >= LIKED_STARS]
    liked_rows = model.items.rows(liked)
    liked = liked[liked_rows >= 0]
    liked_rows = liked_rows[liked_rows >= 0]
    if len(liked) == 0 or len(shown) == 0:
        return {}
    unit = _unit_rank_factors(model)
    similarity = unit[model.items.rows(shown)] @ unit[liked_rows].T
    out = {}
    for row, item in enumerate(shown.tolist()):
        best = np.argsort(-similarity[row])[:n]
        out[item] = [int(liked[j]) for j in best if similarity[row, j] > min_similarity]
    return out


def predict_members(
    model: FactorModel, vectors: Sequence[UserVector], item_ids: np.ndarray
) -> np.ndarray:
    """(members × films) predicted stars: one vectorised predict per member over all films."""
    if not vectors:
        return np.empty((0, len(item_ids)), np.float32)
    return np.vstack([model.predict(vector, item_ids) for vector in vectors])


@per_model
def _unit_rank_factors(model: FactorModel) -> np.ndarray:
    """Rank-head item factors scaled to unit length: normalised once per model, not on every
    list of recommendations (that was most of the cost of explaining ten picks)."""
    factors = model.rank_item_factors.numpy()
    unit: np.ndarray = factors / (np.linalg.norm(factors, axis=1, keepdims=True) + 1e-9)
    return unit
