"""``recsys tune``: Optuna on a validation split, never worse than the defaults there, and a
config file that training reads back."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from synthetic import FAST, low_rank_ratings

from recsys import FactorModel, TrainConfig, cli
from recsys.tune import tune

TINY = dataclasses.replace(FAST, epochs=8, rank_sweeps=3, validation_share=0.2, neighbours=10)


def noisy_ratings() -> object:
    frame, _ = low_rank_ratings(n_users=60, n_items=40, density=0.5)
    noise = np.random.default_rng(4).normal(0, 0.4, len(frame))
    return frame.assign(rating=frame["rating"] + noise)


def test_a_tiny_tune_is_at_least_as_good_as_the_defaults_on_validation() -> None:
    seen: list[tuple[str, int]] = []
    result = tune(
        noisy_ratings(),  # type: ignore[arg-type]
        budget_minutes=1.0,
        base=TINY,
        max_trials=4,
        on_trial=lambda head, number, value: seen.append((head, number)),
    )
    assert result.tuned["rmse"] <= result.default["rmse"]
    assert result.tuned["ndcg@10"] >= result.default["ndcg@10"]
    # Both studies ran, the defaults first: trial 0 of each head.
    assert ("rank", 0) in seen and ("star", 0) in seen
    assert sum(c["complete"] + c["pruned"] for c in result.trials.values()) == 8
    assert result.config.epochs == TINY.epochs  # only the heads' knobs are tuned


def test_the_config_file_round_trips_and_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    tuned = dataclasses.replace(TrainConfig(), factors=17, rank_reg=12.5)
    tuned.save(path, {"tuned_on": "x"})
    assert TrainConfig.from_file(path) == tuned
    path.write_text(json.dumps({"config": {"factors": 8, "rank_reg": 30}}))
    partial = TrainConfig.from_file(path)
    assert (partial.factors, partial.rank_reg, partial.epochs) == (8, 30.0, TrainConfig().epochs)
    for bad, message in (
        ({"config": {"factorz": 8}}, "unknown training setting 'factorz'"),
        ({"config": {"factors": "8"}}, "factors must be a int"),
        ({"config": {"star_solver": "sgd"}}, "star_solver must be one of"),
        ({"config": {"factors": 0}}, "c.json: factors must be at least 1, not 0"),
        ({"config": {"validation_share": 1.0}}, "validation_share must be between 0 and 0.5"),
        ({"factors": 8}, "under 'config'"),
    ):
        path.write_text(json.dumps(bad))
        with pytest.raises(ValueError, match=message):
            TrainConfig.from_file(path)


def test_tune_writes_a_config_that_train_uses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "ml-tiny"
    folder.mkdir()
    frame = noisy_ratings()
    frame.assign(rating=(frame["rating"].clip(0.5, 5) * 2).round() / 2).rename(  # type: ignore[attr-defined]
        columns={"user_id": "userId", "item_id": "movieId"}
    ).to_csv(folder / "ratings.csv", index=False)
    movies = [f"{i},Film {i} (1990),Drama" for i in frame["item_id"].unique()]  # type: ignore[attr-defined]
    (folder / "movies.csv").write_text("movieId,title,genres\n" + "\n".join(movies) + "\n")
    config = tmp_path / "tuned.json"
    TINY.save(tmp_path / "base.json")
    assert cli.main(
        ["tune", "--data", str(folder), "--budget-minutes", "0.05", "--out", str(config),
         "--config", str(tmp_path / "base.json")]
    ) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "| RMSE |" in printed and "| NDCG@10 |" in printed and "default" in printed
    written = TrainConfig.from_file(config)
    model_path = tmp_path / "m.safetensors"
    assert cli.main(
        ["train", "--data", str(folder), "--out", str(model_path), "--config", str(config)]
    ) == 0  # fmt: skip
    assert FactorModel.load(model_path).metadata["config"] == written.to_dict()
