"""Contract tests for every star solver, plus training-loop behaviour."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch
from synthetic import FAST, low_rank_ratings

from recsys import TrainConfig, Trainer
from recsys.baselines import ModelScorer


@pytest.mark.parametrize(
    "config",
    [
        dataclasses.replace(FAST, star_solver="adam"),
        dataclasses.replace(FAST, star_solver="adam", implicit=False),
        dataclasses.replace(FAST, star_solver="als", epochs=10, reg_factors=0.01),
    ],
    ids=["adam+implicit", "adam", "als"],
)
def test_training_recovers_held_out_cells_of_a_low_rank_matrix(config: TrainConfig) -> None:
    frame, truth = low_rank_ratings()
    held_out = np.random.default_rng(1).random(len(frame)) < 0.1
    model = Trainer(config).fit(frame[~held_out])
    test = frame[held_out]
    predicted = ModelScorer(model).predict_pairs(
        test["user_id"].to_numpy(), test["item_id"].to_numpy()
    )
    error = np.sqrt(np.mean((predicted - test["rating"].to_numpy()) ** 2))
    spread = float(np.std(truth))
    assert error < 0.35 * spread, (error, spread)


def test_rank_head_ranks_a_users_unseen_in_cluster_films_first() -> None:
    # Two taste groups, each watching (most of) its own half of the catalogue only.
    rng = np.random.default_rng(3)
    rows = []
    for user in range(60):
        group = user % 2
        for item in range(40):
            if item % 2 == group and rng.random() < 0.7:
                rows.append((user, item, 4.0 + rng.random()))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "rating"]).assign(timestamp=0)
    model = Trainer(FAST).fit(frame)
    for user in (0, 1):
        rated = frame.loc[frame["user_id"] == user, "item_id"]
        unseen_in_cluster = 20 - len(rated)
        top, _ = model.recommend(user, n=unseen_in_cluster + 1, exclude=rated.to_numpy())
        assert [item % 2 == user % 2 for item in top] == [True] * unseen_in_cluster + [False]


def test_same_seed_same_model_other_seed_other_model(synthetic) -> None:
    frame, _ = synthetic
    a = Trainer(FAST).fit(frame)
    b = Trainer(FAST).fit(frame)
    c = Trainer(dataclasses.replace(FAST, seed=1)).fit(frame)
    assert torch.equal(a.item_factors, b.item_factors)
    assert torch.equal(a.rank_item_factors, b.rank_item_factors)
    assert not torch.equal(a.item_factors, c.item_factors)


def test_early_stopping_records_history_and_refits_on_everything() -> None:
    frame, _ = low_rank_ratings(density=0.3)
    noisy = frame.assign(
        rating=frame["rating"] + np.random.default_rng(2).normal(0, 1.0, len(frame))
    )
    config = dataclasses.replace(FAST, epochs=60, validation_share=0.2, patience=2)
    model = Trainer(config).fit(noisy)
    history = model.metadata["history"]
    assert len(history["star"]) < 60, "noise must stop training early"
    assert {"train_rmse", "val_rmse"} <= history["star"][0].keys()
    assert "val_ndcg@10" in history["rank"][0]
    best = min(history["star"], key=lambda h: h["val_rmse"])["epoch"]
    assert model.metadata["epochs"]["star"] == best
    assert model.n_users == noisy["user_id"].nunique()  # the refit saw every rating


def test_empty_ratings_are_refused() -> None:
    empty = pd.DataFrame({"user_id": [], "item_id": [], "rating": [], "timestamp": []})
    with pytest.raises(ValueError, match="empty"):
        Trainer(FAST).fit(empty)


@pytest.mark.parametrize("solver", ["adam", "als"])
def test_validation_rmse_is_clipped_to_the_datas_own_scale(solver: str) -> None:
    # Stars from 2 to 10: clipping to a literal 1-5 would cut every prediction above 5 and
    # report an RMSE of several stars on data the head fits well.
    frame, _ = low_rank_ratings(density=0.5)
    wide = frame.assign(rating=np.clip(2.0 * frame["rating"], 2.0, 10.0))
    config = dataclasses.replace(FAST, star_solver=solver, validation_share=0.2, refit=False)
    history = Trainer(config).fit(wide).metadata["history"]["star"]
    assert min(h["val_rmse"] for h in history) < 1.0


@pytest.mark.parametrize("solver", ["adam", "als"])
def test_a_star_solvers_state_is_not_changed_by_later_epochs(solver: str) -> None:
    from recsys.als import AlsStarSolver
    from recsys.interactions import Interactions
    from recsys.sgd import AdamStarSolver
    from recsys.star import StarSolver

    frame, _ = low_rank_ratings()
    data = Interactions.from_frame(frame)
    config = dataclasses.replace(FAST, star_solver=solver)
    generator = torch.Generator().manual_seed(0)
    mean = float(data.ratings.mean())
    solvers: dict[str, StarSolver] = {
        "adam": AdamStarSolver(data, config, mean, generator),
        "als": AlsStarSolver(data, config, mean, generator, (1.0, 5.0)),
    }
    chosen = solvers[solver]
    first = chosen.epoch()
    kept = chosen.state()
    snapshot = kept.item_factors.clone()
    assert chosen.epoch() < first  # training moves on...
    assert torch.equal(kept.item_factors, snapshot)  # ...without touching what was handed out


def test_the_rank_head_does_not_change_with_the_star_heads_settings() -> None:
    frame, _ = low_rank_ratings(density=0.4)
    config = dataclasses.replace(FAST, validation_share=0.2)
    a = Trainer(config).fit(frame)
    b = Trainer(dataclasses.replace(config, epochs=3, factors=4)).fit(frame)
    assert torch.equal(a.rank_item_factors, b.rank_item_factors)
