"""The neighbour head's cap on the films that get neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys.interactions import Interactions
from recsys.neighbours import fit_neighbours


def ratings(seed: int = 0) -> Interactions:
    """Films with very different numbers of raters."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, 41)
    frames = []
    for user in range(60):
        films = rng.choice(40, 15, replace=False, p=popularity / popularity.sum())
        frames.append(
            pd.DataFrame(
                {"user_id": user, "item_id": films, "rating": rng.integers(1, 6, 15) * 1.0}
            )
        )
    return Interactions.from_frame(pd.concat(frames))


def test_no_cap_and_a_cap_of_every_film_agree() -> None:
    train = ratings()
    free = fit_neighbours(train, k=5, shrinkage=10.0)
    capped = fit_neighbours(train, k=5, shrinkage=10.0, max_items=train.n_items)
    np.testing.assert_array_equal(free.neighbour_rows, capped.neighbour_rows)
    np.testing.assert_array_equal(free.neighbour_weights, capped.neighbour_weights)


def test_only_the_most_rated_films_get_neighbours_among_themselves() -> None:
    train = ratings(1)
    counts = np.bincount(train.item_rows, minlength=train.n_items)
    top = set(np.argsort(-counts, kind="stable")[:10].tolist())
    free = fit_neighbours(train, k=5, shrinkage=10.0)
    capped = fit_neighbours(train, k=5, shrinkage=10.0, max_items=10)
    np.testing.assert_array_equal(free.item_bias, capped.item_bias)
    for film in range(train.n_items):
        used = capped.neighbour_weights[film] > 0
        if film not in top:
            assert not used.any()
            continue
        assert set(capped.neighbour_rows[film][used].tolist()) <= top - {film}
        # The same similarities as without the cap, for the neighbours both kept.
        rows, weights = free.neighbour_rows[film], free.neighbour_weights[film]
        full = dict(zip(rows.tolist(), weights.tolist(), strict=True))
        for other, weight in zip(
            capped.neighbour_rows[film][used], capped.neighbour_weights[film][used], strict=True
        ):
            if int(other) in full:
                assert np.isclose(full[int(other)], weight, rtol=1e-5)
