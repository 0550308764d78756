"""Splits keep their promises; the evaluation reports every model and baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import FAST, low_rank_ratings

from recsys.baselines import Biases, GlobalMean, Popularity
from recsys.evaluate import (
    evaluate_folds,
    evaluate_new_users,
    format_table,
    kfold_splits,
    new_user_split,
    score,
    temporal_split,
)


@pytest.fixture(scope="module")
def ratings() -> pd.DataFrame:
    frame, _ = low_rank_ratings(n_users=60, n_items=40)
    return frame.assign(timestamp=np.random.default_rng(0).integers(0, 10**6, len(frame)))


def _keys(frame: pd.DataFrame) -> set[tuple[int, int]]:
    return set(zip(frame["user_id"], frame["item_id"], strict=True))


def test_kfold_test_sets_partition_the_ratings(ratings: pd.DataFrame) -> None:
    tests = []
    for train, test in kfold_splits(ratings, folds=4, seed=0):
        assert not _keys(train) & _keys(test)
        assert len(train) + len(test) == len(ratings)
        tests.append(_keys(test))
    assert set().union(*tests) == _keys(ratings)
    assert sum(map(len, tests)) == len(ratings)


def test_temporal_split_holds_out_each_users_latest(ratings: pd.DataFrame) -> None:
    train, test = temporal_split(ratings, holdout_share=0.25)
    assert len(train) + len(test) == len(ratings)
    for user, group in test.groupby("user_id"):
        earlier = train.loc[train["user_id"] == user, "timestamp"]
        assert earlier.max() <= group["timestamp"].min()


def test_new_users_are_absent_from_training(ratings: pd.DataFrame) -> None:
    split = new_user_split(ratings, user_share=0.2, known=10, seed=0)
    new = set(split.known["user_id"])
    assert len(new) == round(0.2 * ratings["user_id"].nunique())
    assert not new & set(split.train["user_id"])
    assert set(split.hidden["user_id"]) == new
    assert split.known.groupby("user_id").size().eq(10).all()
    assert len(split.train) + len(split.known) + len(split.hidden) == len(ratings)


def test_baselines_score_as_they_should(ratings: pd.DataFrame) -> None:
    train, test = next(kfold_splits(ratings, folds=5, seed=0))
    mean = score(GlobalMean(train), train, test)
    biases = score(Biases(train), train, test)
    popularity = score(Popularity(train), train, test)
    assert mean["rmse"] == pytest.approx(
        np.sqrt(np.mean((test["rating"] - train["rating"].mean()) ** 2)), rel=1e-5
    )
    assert biases["rmse"] < mean["rmse"]
    assert "rmse" not in popularity and 0 <= popularity["ndcg@10"] <= 1


def test_evaluate_folds_reports_model_and_baselines(ratings: pd.DataFrame) -> None:
    report = evaluate_folds(ratings, folds=2, seed=0, config=FAST)
    assert set(report["baselines"]) == {"popularity", "biases", "global_mean"}
    assert len(report["folds"]) == 2
    model = report["model"]
    assert {"rmse", "mae", "ndcg@10", "precision@10", "recall@10", "coverage@10"} <= set(model)
    assert model["rmse"] < report["baselines"]["biases"]["rmse"]
    table = format_table(report)
    assert table.splitlines()[2].startswith("| model |") and "±" in table


def test_new_user_evaluation_compares_fold_in_with_training(ratings: pd.DataFrame) -> None:
    report = evaluate_new_users(ratings, user_share=0.2, known=10, seed=0, config=FAST)
    assert set(report) == {"folded_in", "trained_in", "popularity"}
    assert report["folded_in"]["rmse"] < 1.5 * report["trained_in"]["rmse"]
