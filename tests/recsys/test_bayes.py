"""The Bayesian star head: it learns, folds new users in like trained ones, and is served."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from synthetic import FAST, low_rank_ratings

from recsys import FactorModel, Trainer
from recsys.bayes import fit_bayes
from recsys.blend import Blend
from recsys.evaluate import kfold_splits
from recsys.interactions import Interactions


def _noisy(n_users: int = 120, n_items: int = 80) -> tuple[pd.DataFrame, np.ndarray]:
    frame, truth = low_rank_ratings(n_users=n_users, n_items=n_items, density=0.4)
    noise = np.random.default_rng(1).normal(0, 0.5, len(frame))
    return frame.assign(rating=frame["rating"] + noise), truth


def test_the_bayesian_head_recovers_a_noisy_low_rank_matrix() -> None:
    frame, truth = _noisy()
    data = Interactions.from_frame(frame)
    head = fit_bayes(data, factors=3, samples=30, burn_in=15, seed=0)
    users = np.repeat(np.arange(data.n_users), data.n_items)
    items = np.tile(np.arange(data.n_items), data.n_users)
    predicted = head.predict_pairs(users, items)
    # Every cell, rated or not, against the noiseless truth (rows in the vocabularies' order).
    actual = truth[data.users.ids[users] - 1, (data.items.ids[items] - 7) // 10]
    spread = float(np.sqrt(np.mean((actual - actual.mean()) ** 2)))
    error = float(np.sqrt(np.mean((predicted - actual) ** 2)))
    assert error < 0.5 * spread, (error, spread)
    # One user's samples predict what predict_pairs says for them.
    row_items = np.arange(data.n_items)
    np.testing.assert_allclose(
        head.predict(head.user(4), row_items), predicted[users == 4], rtol=1e-5
    )


def test_a_trained_users_ratings_folded_in_predict_like_their_samples() -> None:
    frame, _ = _noisy()
    data = Interactions.from_frame(frame)
    head = fit_bayes(data, factors=3, samples=30, burn_in=15, seed=0)
    everything = np.arange(data.n_items)
    for row in (0, 7, 50):
        rated, stars = data.by_user.row(row)
        folded = head.predict(head.fold_in(rated, stars), everything)
        trained = head.predict(head.user(row), everything)
        assert np.sqrt(np.mean((folded - trained) ** 2)) < 0.15


def test_the_refit_continues_the_chain_it_is_given() -> None:
    frame, _ = _noisy()
    data = Interactions.from_frame(frame)
    first = fit_bayes(data, factors=3, samples=5, burn_in=10, seed=0)
    warm = fit_bayes(data, factors=3, samples=5, burn_in=0, seed=0, start=first)
    cold = fit_bayes(data, factors=3, samples=5, burn_in=0, seed=0)
    users, items = data.user_rows, data.item_rows

    def error(head):  # type: ignore[no-untyped-def]
        return np.sqrt(np.mean((head.predict_pairs(users, items) - data.ratings) ** 2))

    # With no burn-in, a chain started from scratch is still far from the data.
    assert error(warm) < error(cold) - 0.05


@pytest.fixture(scope="module")
def blended() -> tuple[FactorModel, pd.DataFrame, pd.DataFrame]:
    frame, _ = _noisy()
    train, test = next(kfold_splits(frame, 5, seed=0))
    config = dataclasses.replace(FAST, validation_share=0.2, bayes_samples=20, bayes_burn_in=10)
    return Trainer(config).fit(train), train, test


def test_the_blend_weighs_the_bayesian_head_and_the_file_keeps_it(
    blended: tuple[FactorModel, pd.DataFrame, pd.DataFrame], tmp_path
) -> None:
    model, train, test = blended
    assert model.bayes is not None and model.blend.bayes > 0.1
    model.save(tmp_path / "m.safetensors")
    loaded = FactorModel.load(tmp_path / "m.safetensors")
    assert loaded.bayes is not None and loaded.blend == model.blend
    items = test["item_id"].unique()
    user = int(test["user_id"].iloc[0])
    np.testing.assert_allclose(loaded.predict(user, items), model.predict(user, items))
    mine = train[train["user_id"] == user]
    vector = loaded.fold_in(mine["item_id"].to_numpy(), mine["rating"].to_numpy())
    assert vector.bayes.shape == (20, model.bayes.factors + 1)
    np.testing.assert_allclose(loaded.predict(vector, items), model.predict(vector, items))
    # Without the Bayesian head's samples the same blend cannot be served: the star head
    # serves alone, and its stars differ.
    bare = dataclasses.replace(vector, bayes=np.empty((0, 0), np.float32))
    assert not np.allclose(model.predict(bare, items), model.predict(vector, items), atol=1e-3)


def test_files_written_before_the_bayesian_head_load_without_it(
    blended: tuple[FactorModel, pd.DataFrame, pd.DataFrame], tmp_path
) -> None:
    model, _, test = blended
    b = model.blend
    without = dataclasses.replace(
        model, bayes=None, blend=Blend(b.intercept, b.star, b.neighbours, b.taste)
    )
    without.save(tmp_path / "old.safetensors")
    loaded = FactorModel.load(tmp_path / "old.safetensors")
    assert loaded.bayes is None
    items = test["item_id"].unique()
    user = int(test["user_id"].iloc[0])
    np.testing.assert_allclose(loaded.predict(user, items), without.predict(user, items))
    assert Blend.from_list([0.1, 0.8, 0.2, 0.3]).bayes == 0.0
