"""Serving a trained model to people: which films to show, in what order, and why.

What the bot needs beyond :class:`~recsys.model.FactorModel`'s own calls, as functions of a
model: the films it can show out of a catalogue, a list from which films the user is expected
to dislike are left out, each page ordered by the stars shown beside its films, the liked films
that explain a pick, and a group's predictions. The bot asks these questions and renders the
answers; the maths lives here.

How a list agrees with itself (issue 15.5, measured by bench/calibration.py): the rank head
chooses which films make each page of ten, as it ranks far better than predicted stars; films
the star head expects the user to rate under 3 (or their own mean, if lower) are left out;
within a page films go by predicted stars, the number shown beside them, so the order and the
number never disagree on one screen, and precision@10 is that of the rank head's top ten. A
liked film explains a pick only when it is among the pick's nearest films (recsys/alike.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.alike import Alike
from recsys.data.types import Catalog
from recsys.model import FactorModel, UserVector

LIKED_STARS = 4.0  # a rating from which a film counts as liked (and may explain a pick)
LIKELY_STARS = 3.0  # predicted stars under which a film is left out of a list (or the user's mean)
LOOK_AT_MOST = 2000  # films ranked, at most, in search of a page of likely liked ones
BECAUSE = 2  # liked films named as the reason for one pick
BECAUSE_USES = 2  # picks one liked film may explain on a page: more reads as a generic excuse


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


def without_unlikely(
    model: FactorModel, vector: UserVector | None, ids: np.ndarray
) -> tuple[np.ndarray, int]:
    """``ids`` in their order without the films predicted under :func:`dislike_below`, and
    how many were left out: "you will probably watch it" is not enough to be recommended."""
    if len(ids) == 0:
        return ids, 0
    keep = model.predict(vector, ids) >= dislike_below(vector)
    return ids[keep], int((~keep).sum())


def dislike_below(vector: UserVector | None) -> float:
    """Predicted stars under which a film is taken for one the user would dislike:
    :data:`LIKELY_STARS`, or the user's own mean rating where that is lower (someone who gives
    most films 1 or 2 stars would otherwise be left with nothing)."""
    if vector is None or len(vector.rated_stars) == 0:
        return LIKELY_STARS
    return min(LIKELY_STARS, float(np.mean(vector.rated_stars)))


def likely_liked(
    model: FactorModel,
    vector: UserVector | None,
    want: int,
    *,
    exclude: np.ndarray | None = None,
    candidates: np.ndarray | None = None,
    most: int = LOOK_AT_MOST,
) -> tuple[np.ndarray, int]:
    """The first ``want`` films in the rank head's order (or fewer, when the candidates run
    out) that are not predicted under :data:`LIKELY_STARS`, and how many were left out on the
    way. Ranks three times ``want`` first and more while too many are left out, up to
    ``most`` films: "only 4 films look like a good fit" must not mean "of the first 33"."""
    n = min(want * 3, most)
    while True:
        ids, _ = model.recommend(vector, n=n, exclude=exclude, candidates=candidates)
        kept, left_out = without_unlikely(model, vector, ids)
        if len(kept) >= want or len(ids) < n or n >= most:
            return kept[:want], left_out
        n = min(n * 4, most)


def by_predicted_stars(
    model: FactorModel, vector: UserVector | None, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, predicted stars), most stars first (ties keep their order): one page, ordered by
    the number shown beside each film."""
    stars = model.predict(vector, ids)
    order = np.argsort(-stars, kind="stable")
    return ids[order], stars[order]


def because(
    alike: Alike,
    shown: np.ndarray,
    rated_ids: np.ndarray,
    rated_stars: np.ndarray,
    *,
    n: int = BECAUSE,
    uses: int = BECAUSE_USES,
) -> dict[int, list[int]]:
    """For each shown film, the (up to ``n``) liked films among its nearest films
    (:meth:`Alike.near`), nearest first; none when no liked film is that close. A liked film
    explains at most ``uses`` of the shown films, the first ones in ``shown``."""
    liked = set(rated_ids[rated_stars >= LIKED_STARS].tolist())
    if not liked:
        return {}
    used: dict[int, int] = {}
    out = {}
    nearest = alike.near_many(shown.tolist())
    for item in shown.tolist():
        named = [j for j in nearest[item].tolist() if j in liked and used.get(j, 0) < uses]
        out[item] = named[:n]
        for j in out[item]:
            used[j] = used.get(j, 0) + 1
    return out


def predict_members(
    model: FactorModel, vectors: Sequence[UserVector], item_ids: np.ndarray
) -> np.ndarray:
    """(members × films) predicted stars: one vectorised predict per member over all films."""
    if not vectors:
        return np.empty((0, len(item_ids)), np.float32)
    return np.vstack([model.predict(vector, item_ids) for vector in vectors])
