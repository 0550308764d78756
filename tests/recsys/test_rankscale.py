"""The rank head's weights carried to wide catalogues (recsys/rankscale.py)."""

from __future__ import annotations

import math

import pytest
from synthetic import wide_catalogue_ratings

from recsys import TrainConfig, Trainer
from recsys.baselines import ModelScorer, Popularity
from recsys.evaluate import score
from recsys.holdout import split_holdout
from recsys.rankscale import rank_weights


def test_ml100k_keeps_the_tuned_weights_and_smaller_sets_too() -> None:
    config = TrainConfig()
    for users, items, ratings in [(943, 1682, 100_000), (751, 1_344, 80_000), (80, 60, 2_880)]:
        weights = rank_weights(config, users, items, ratings)
        assert weights.unobserved_weight == config.rank_unobserved_weight
        assert weights.reg == pytest.approx(config.rank_reg, rel=1e-3)


def test_a_wide_catalogue_weighs_unrated_cells_less_and_regularises_more() -> None:
    config = TrainConfig()
    weights = rank_weights(config, 162_541, 59_047, 25_000_095)  # ML-25M's shape
    assert weights.unobserved_weight == pytest.approx(0.2 * math.sqrt(1_682 / 59_047))
    # As much regularisation for each row's weight (w0 x films + ratings a user) as on ML-100k.
    per_row = weights.unobserved_weight * 59_047 + 25_000_095 / 162_541
    assert weights.reg / per_row == pytest.approx(30.0 / (0.2 * 1_682 + 106))


def test_on_a_wide_sparse_catalogue_the_rank_head_is_well_ahead_of_popularity() -> None:
    """10,000 films, 60 ratings a user: with ML-100k's weights as they are the head overfits
    (held-out NDCG@10 1.33x popularity's); carried over it reaches 1.65x."""
    ratings = wide_catalogue_ratings()
    train, test = split_holdout(ratings)
    config = TrainConfig(
        factors=8, epochs=5, rank_factors=32, rank_sweeps=10, neighbours=0, bayes_samples=0,
        validation_share=0.0, genre_prior=0.0,
    )  # fmt: skip
    model = Trainer(config).fit(train)

    ndcg = score(ModelScorer(model), train, test)["ndcg@10"]
    popularity = score(Popularity(train), train, test)["ndcg@10"]
    assert ndcg >= 1.5 * popularity
    carried = rank_weights(config, len(model.users), len(model.items), len(train))
    assert model.fold_in_settings.rank_unobserved_weight == carried.unobserved_weight
    assert model.fold_in_settings.rank_reg == carried.reg  # fold-in solves as training did
