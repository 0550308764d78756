"""The served model on real MovieLens 100k: it must beat its baselines and make sense.

Needs the data (`python -m recsys fetch ml-100k`, done by `make test`); skipped without it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from recsys import FactorModel, Trainer
from recsys.baselines import Biases, ModelScorer, Popularity
from recsys.data import Dataset
from recsys.evaluate import kfold_splits, score

STAR_WARS, EMPIRE, JEDI = 50, 172, 181


@pytest.fixture(scope="module")
def fold(movielens: Dataset) -> tuple[pd.DataFrame, pd.DataFrame, FactorModel]:
    train, test = next(kfold_splits(movielens.ratings, folds=5, seed=0))
    return train, test, Trainer().fit(train)


def test_model_beats_biases_on_stars_and_popularity_on_ranking(fold) -> None:
    train, test, model = fold
    ours = score(ModelScorer(model, history=train), train, test)
    biases = score(Biases(train), train, test)
    popularity = score(Popularity(train), train, test)
    assert ours["rmse"] < biases["rmse"] - 0.02
    assert ours["ndcg@10"] > 1.5 * popularity["ndcg@10"]
    assert ours["coverage@10"] > popularity["coverage@10"]


def test_star_wars_neighbours_are_its_sequels(fold) -> None:
    _, _, model = fold
    similar, _ = model.similar_items(STAR_WARS, n=10)
    assert {EMPIRE, JEDI} <= set(similar.tolist())


def test_a_new_star_wars_fan_is_recommended_the_sequels(fold, movielens: Dataset) -> None:
    _, _, model = fold
    vector = model.fold_in([STAR_WARS, 1, 127], [5.0, 2.0, 2.0])  # + Toy Story, The Godfather
    top, _ = model.recommend(vector, n=10, exclude=[STAR_WARS, 1, 127])
    assert EMPIRE in top or JEDI in top
    stars = model.predict(vector, [EMPIRE, 1])
    assert stars[0] > stars[1]
