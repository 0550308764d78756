"""The neighbour head's cap on the films that get neighbours."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys.interactions import Interactions
from recsys.neighbours import fit_neighbours, predict_pairs


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


def brute_force_similarity(train: Interactions, shrinkage: float) -> np.ndarray:
    """The shrunk Pearson-baseline similarity of every pair of films, written out densely."""
    head = fit_neighbours(train, k=1, shrinkage=shrinkage)  # for its baseline biases
    residual = np.zeros((train.n_users, train.n_items))
    rated = np.zeros_like(residual)
    # The user biases of the last round of fit_neighbours' alternating means (damping 15).
    centred = train.ratings - head.global_mean - head.item_bias[train.item_rows]
    counts = np.bincount(train.user_rows, minlength=train.n_users)
    user_bias = np.bincount(train.user_rows, centred, train.n_users) / (counts + 15.0)
    residual[train.user_rows, train.item_rows] = centred - user_bias[train.user_rows]
    rated[train.user_rows, train.item_rows] = 1.0
    out = np.zeros((train.n_items, train.n_items))
    for i in range(train.n_items):
        for j in range(train.n_items):
            both = (rated[:, i] * rated[:, j]) > 0
            if i == j or both.sum() < 2:
                continue
            di, dj = residual[both, i], residual[both, j]
            pearson = (di * dj).sum() / (np.sqrt((di**2).sum() * (dj**2).sum()) + 1e-9)
            out[i, j] = pearson * (both.sum() - 1) / (both.sum() - 1 + shrinkage)
    return out


def test_neighbours_are_the_most_similar_films_by_the_formula() -> None:
    train = ratings(2)
    head = fit_neighbours(train, k=5, shrinkage=10.0)
    expected = brute_force_similarity(train, 10.0)
    for film in range(train.n_items):
        used = head.neighbour_weights[film] > 0
        best = np.sort(expected[film][expected[film] > 0])[::-1][: used.sum()]
        np.testing.assert_allclose(np.sort(head.neighbour_weights[film][used])[::-1], best, 1e-3)
        for other, weight in zip(
            head.neighbour_rows[film][used], head.neighbour_weights[film][used], strict=True
        ):
            assert expected[film, other] == pytest.approx(weight, rel=1e-3)


def test_predicting_many_pairs_agrees_with_one_user_at_a_time() -> None:
    train = ratings(3)
    head = fit_neighbours(train, k=5, shrinkage=10.0)
    rng = np.random.default_rng(0)
    users = rng.integers(0, train.n_users, 300)
    films = rng.integers(0, train.n_items, 300)
    many = predict_pairs(head, train.by_user, users, films)
    for user, film, stars in zip(users, films, many, strict=True):
        rows, rated = train.by_user.row(int(user))
        assert head.predict(rows, rated, np.array([film]))[0] == pytest.approx(stars, abs=1e-4)
