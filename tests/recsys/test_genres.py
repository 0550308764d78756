"""The genre prior: films with few ratings move towards their genres' means, and that pays off
on films the model has barely seen."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
from synthetic import FAST

from recsys import FactorModel, Trainer
from recsys.genre_eval import cold_item_split
from recsys.genres import NO_GENRE, fit_genre_prior, genre_membership, shrink_to_genres
from recsys.metrics import rmse


def test_membership_spreads_each_film_over_its_genres() -> None:
    names, membership = genre_membership(
        np.array([1, 2, 3]), {1: ("Drama",), 2: ("Comedy", "Drama"), 3: ()}
    )
    assert names == (NO_GENRE, "Comedy", "Drama")  # sorted
    np.testing.assert_allclose(membership, [[0, 0, 1], [0, 0.5, 0.5], [1, 0, 0]])


def test_a_rare_film_moves_to_its_genre_and_a_popular_one_stays() -> None:
    rng = np.random.default_rng(0)
    names, membership = genre_membership(
        np.arange(40), {i: ("Horror",) if i < 20 else ("Romance",) for i in range(40)}
    )
    centre = np.where(np.arange(40)[:, None] < 20, [1.0, 0.0], [0.0, 1.0])
    factors = (centre + rng.normal(0, 0.05, (40, 2))).astype(np.float32)
    counts = np.full(40, 500.0)
    # Two odd films of the same genre: one rated twice, one rated 500 times.
    factors[0], factors[1] = (-1.0, -1.0), (-1.0, -1.0)
    counts[0] = 2.0
    prior = fit_genre_prior(names, membership, factors, counts, strength=10.0)
    horror = prior.factors[names.index("Horror")]
    np.testing.assert_allclose(horror, [1.0, 0.0], atol=0.15)
    np.testing.assert_allclose(prior.factors[names.index("Romance")], [0.0, 1.0], atol=0.05)

    moved = shrink_to_genres(prior, membership, factors, counts)
    # κ / (n + κ) = 10 / 12 of the way to the genre for the rare film, 2% for the popular one.
    np.testing.assert_allclose(moved[0], factors[0] + 10 / 12 * (horror - factors[0]), atol=1e-5)
    np.testing.assert_allclose(moved[1], factors[1] + 10 / 510 * (horror - factors[1]), atol=1e-5)
    np.testing.assert_allclose(moved[2:], factors[2:], atol=0.01)


def genre_world(seed: int = 0) -> tuple[pd.DataFrame, dict[int, tuple[str, ...]], np.ndarray]:
    """Films whose taste vector and bias are their genre's plus a little noise; users rate
    60% of films. Returns ratings, genres by item id, and the ids of films to make cold."""
    rng = np.random.default_rng(seed)
    n_users, n_items, n_genres = 150, 80, 4
    genre_of = np.arange(n_items) % n_genres
    centres = rng.normal(0, 0.8, (n_genres, 3))
    items = centres[genre_of] + rng.normal(0, 0.15, (n_items, 3))
    item_bias = rng.normal(0, 0.6, n_genres)[genre_of] + rng.normal(0, 0.1, n_items)
    users = rng.normal(0, 0.8, (n_users, 3))
    truth = 3.5 + rng.normal(0, 0.3, (n_users, 1)) + item_bias[None, :] + users @ items.T
    u, i = np.nonzero(rng.random((n_users, n_items)) < 0.6)
    stars = np.clip(truth[u, i] + rng.normal(0, 0.3, len(u)), 1, 5)
    frame = pd.DataFrame(
        {"user_id": u + 1, "item_id": i + 1, "rating": stars.astype(np.float32), "timestamp": 0}
    )
    genres = {int(i + 1): (f"genre {genre_of[i]}",) for i in range(n_items)}
    cold = rng.choice(np.arange(1, n_items + 1), 16, replace=False)
    return frame, genres, cold


def test_the_prior_predicts_cold_films_better() -> None:
    frame, genres, cold = genre_world()
    is_cold = frame["item_id"].isin(cold).to_numpy()
    keep = frame[is_cold].groupby("item_id").cumcount().to_numpy() < 2  # two ratings each
    train = pd.concat([frame[~is_cold], frame[is_cold][keep]])
    test = frame[is_cold][~keep]
    config = replace(FAST, neighbours=0)
    errors = {}
    for kappa in (0.0, 10.0):
        model = Trainer(replace(config, genre_prior=kappa)).fit(train, genres)
        predicted = np.concatenate(
            [
                model.predict(int(user), group["item_id"].to_numpy())
                for user, group in test.groupby("user_id")
            ]
        )
        actual = np.concatenate([g["rating"].to_numpy() for _, g in test.groupby("user_id")])
        errors[kappa] = rmse(predicted, actual)
    assert errors[10.0] < 0.8 * errors[0.0], errors


def test_the_prior_is_saved_with_the_model(tmp_path: Path) -> None:
    frame, genres, _ = genre_world(1)
    model = Trainer(replace(FAST, neighbours=0, genre_prior=5.0)).fit(frame, genres)
    assert model.genre_prior is not None and model.genre_prior.strength == 5.0
    model.save(tmp_path / "m.safetensors")
    loaded = FactorModel.load(tmp_path / "m.safetensors")
    assert loaded.genre_prior is not None
    assert loaded.genre_prior.names == model.genre_prior.names
    np.testing.assert_array_equal(loaded.genre_prior.factors, model.genre_prior.factors)
    # Without genres, or with κ = 0, there is no prior to save.
    assert Trainer(replace(FAST, genre_prior=5.0)).fit(frame).genre_prior is None
    assert Trainer(replace(FAST, genre_prior=0.0)).fit(frame, genres).genre_prior is None


def test_cold_films_keep_only_their_known_ratings_for_training() -> None:
    frame, _, _ = genre_world(2)
    train, test = cold_item_split(frame, item_share=0.25, known=3, min_ratings=20, seed=0)
    cold = test["item_id"].unique()
    assert len(cold) == round(0.25 * (frame["item_id"].value_counts() >= 20).sum())
    assert (train[train["item_id"].isin(cold)]["item_id"].value_counts() == 3).all()
    assert len(train) + len(test) == len(frame)
    pairs = set(zip(train["user_id"], train["item_id"], strict=True))
    assert not pairs & set(zip(test["user_id"], test["item_id"], strict=True))
