"""The Spark engine in local mode: a small known matrix trained through MLlib's ALS, written
as the served model file, loaded back and used as the bot uses it."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from synthetic import FAST, low_rank_ratings, wide_catalogue_ratings

from recsys import FactorModel, TrainConfig, Trainer
from recsys.baselines import ModelScorer, Popularity
from recsys.cli import main
from recsys.evaluate import score
from recsys.holdout import split_holdout
from recsys.metrics import rmse
from recsys.spark import SparkTrainConfig

pytestmark = pytest.mark.spark

SMALL = replace(
    SparkTrainConfig(),
    factors=4, rank_factors=4, star_iterations=8, rank_iterations=8, reg_factors=0.02,
    rank_reg=0.05, item_bias_damping=2.0, reg_bias=0.01,
)  # fmt: skip


@pytest.fixture(scope="module")
def known() -> tuple[pd.DataFrame, np.ndarray]:
    return low_rank_ratings(n_users=80, n_items=60, rank=3, density=0.6, seed=1)


@pytest.fixture(scope="module")
def saved(spark: Any, known: tuple[pd.DataFrame, np.ndarray], tmp_path_factory: Any) -> Path:
    from recsys.spark.engine import train_spark
    from recsys.spark.ratings import from_frame

    ratings, _ = known
    trained = ratings[ratings["user_id"] != 1]  # user 1 is folded in later
    model = train_spark(from_frame(spark, trained), SMALL)
    path = tmp_path_factory.mktemp("spark") / "model.safetensors"
    model.save(path)
    return path


def test_the_file_loads_as_the_served_model_and_says_spark_trained_it(saved: Path) -> None:
    model = FactorModel.load(saved)
    assert model.metadata["engine"] == "spark"
    assert model.metadata["spark"]["master"] == "local[2]"
    assert model.metadata["config"]["factors"] == 4
    assert (model.n_users, model.n_items) == (79, 60)
    assert model.neighbours is None
    assert model.rating_scale[0] < model.rating_scale[1]


def test_a_torch_config_carries_its_star_heads_size_and_seed_not_its_rank_heads() -> None:
    """The bot's retraining turns its TrainConfig into a Spark run. The torch rank head's 64
    factors cost Spark's rank head on new users (NDCG@10 0.4495 against 0.4642 at its own 32),
    so Spark keeps its own; an explicit ``--rank-factors`` still reaches it (the CLI)."""
    config = replace(TrainConfig(), factors=24, rank_factors=96, seed=7)
    carried = SparkTrainConfig.from_train_config(config)
    assert (carried.factors, carried.seed) == (24, 7)
    assert carried.rank_factors == SparkTrainConfig().rank_factors


def test_the_torch_engine_names_itself_too(known: tuple[pd.DataFrame, np.ndarray]) -> None:
    ratings, _ = known
    assert Trainer(FAST).fit(ratings).metadata["engine"] == "torch"


def test_trained_users_predict_the_matrix_far_better_than_biases(
    saved: Path, known: tuple[pd.DataFrame, np.ndarray]
) -> None:
    model = FactorModel.load(saved)
    ratings, truth = known
    user, items = 5, ratings["item_id"].unique()
    predicted = model.predict(user, items)
    actual = truth[user - 1, (items - 7) // 10]
    biases_only = model.global_mean + model.item_bias.numpy()[model.items.rows(items)]
    biases_only += float(model.user_bias[model.users.row(user)])
    assert rmse(predicted, actual) < 0.5 * rmse(np.clip(biases_only, 1, 5), actual)


def test_a_folded_in_user_gets_stars_and_recommendations(
    saved: Path, known: tuple[pd.DataFrame, np.ndarray]
) -> None:
    model = FactorModel.load(saved)
    ratings, truth = known
    mine = ratings[ratings["user_id"] == 1]
    vector = model.fold_in(mine["item_id"].to_numpy(), mine["rating"].to_numpy())
    unrated = np.setdiff1d(ratings["item_id"].unique(), mine["item_id"])
    predicted = model.predict(vector, unrated)
    actual = truth[0, (unrated - 7) // 10]
    assert np.corrcoef(predicted, actual)[0, 1] > 0.8
    ids, scores = model.recommend(vector, n=5, exclude=mine["item_id"].to_numpy())
    assert len(ids) == 5 and not set(ids) & set(mine["item_id"])
    assert np.all(np.diff(scores) <= 0)
    similar, _ = model.similar_items(int(ids[0]), n=3)
    assert len(similar) == 3 and ids[0] not in similar


def test_fold_in_solves_a_user_like_training_did(saved: Path, known: Any) -> None:
    """The fold-in settings the engine writes make a trained user's own ratings give back
    nearly the vector Spark trained: wrong regularisation would pull them apart."""
    model = FactorModel.load(saved)
    ratings, _ = known
    mine = ratings[ratings["user_id"] == 9]
    trained = model.user_vector(9)
    folded = model.fold_in(mine["item_id"].to_numpy(), mine["rating"].to_numpy())
    items = ratings["item_id"].unique()
    assert np.abs(model.predict(trained, items) - model.predict(folded, items)).max() < 0.25
    top_trained = set(model.recommend(trained, n=10)[0])
    top_folded = set(model.recommend(folded, n=10)[0])
    assert len(top_trained & top_folded) >= 7


def test_on_a_wide_sparse_catalogue_the_rank_head_is_well_ahead_of_popularity(spark: Any) -> None:
    """The torch rank head needs its weights carried to wide catalogues (recsys/rankscale.py);
    Spark's does not: implicit ALS regularises each row by its count of rated films, and its
    unrated cells weigh 1 against 1 + α·|stars − 2.5|. On 10,000 films and 60 ratings a user
    the defaults reach 1.66x popularity's held-out NDCG@10 (the torch head 1.65x); unrated
    cells weighed as little as α = 40 makes them 0.58x."""
    from recsys.spark.engine import train_spark
    from recsys.spark.ratings import from_frame

    train, test = split_holdout(wide_catalogue_ratings())
    config = replace(SparkTrainConfig(), factors=8, star_iterations=3, rank_iterations=8)
    model = train_spark(from_frame(spark, train), config)

    ndcg = score(ModelScorer(model), train, test)["ndcg@10"]
    assert ndcg >= 1.5 * score(Popularity(train), train, test)["ndcg@10"]


def test_the_command_reads_parquet_with_ml25m_column_names(
    spark: Any, known: tuple[pd.DataFrame, np.ndarray], tmp_path: Path
) -> None:
    ratings, _ = known
    folder = tmp_path / "ratings"
    folder.mkdir()
    ml25m = ratings.rename(columns={"user_id": "userId", "item_id": "movieId"})
    half = len(ml25m) // 2  # a folder of part files, as Spark and object stores hold them
    ml25m.iloc[:half].to_parquet(folder / "part-0.parquet", index=False)
    ml25m.iloc[half:].to_parquet(folder / "part-1.parquet", index=False)
    out = tmp_path / "model.safetensors"
    code = main(
        ["train", "--engine", "spark", "--data", str(folder), "--out", str(out), "--factors", "4",
         "--rank-factors", "3", "--seed", "2"]
    )  # fmt: skip
    assert code == 0
    model = FactorModel.load(out)
    assert model.metadata["engine"] == "spark"
    assert (model.n_users, model.n_items) == (80, 60)
    assert model.rank_item_factors.shape == (60, 3)
    assert model.metadata["config"]["seed"] == 2


def test_torch_only_flags_are_refused_before_spark_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "model.safetensors"
    code = main(["train", "--engine", "spark", "--out", str(out), "--reg-factors", "0.3"])
    assert code == 2
    assert "--reg-factors: torch engine only" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.spark
def test_without_java_the_engine_says_what_to_install(tmp_path: Path) -> None:
    """No java on PATH and no JAVA_HOME: one line naming the package, exit 2, no file."""
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "model.safetensors"
    done = subprocess.run(
        [sys.executable, "-m", "recsys", "train", "--engine", "spark", "--out", str(out)],
        env={"PATH": str(empty), "HOME": str(tmp_path)},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "openjdk-17-jre-headless" in lines[0]
    assert "Traceback" not in done.stderr
    assert not out.exists()
