"""Retraining on Spark: the settings, the Parquet snapshot of the bot's ratings, and the
worker's Spark run producing a candidate the bot can serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bot.config import ConfigError, load_settings
from bot.movienight.maths import suggest
from bot.retrain import Retrainer, training_config
from bot.service import MovieService
from bot.training_worker import TrainJob, combined_ratings, train_candidate
from recsys import FactorModel, TrainConfig
from recsys.holdout import split_holdout
from recsys.serving import predict_members

TOKEN = "123456:" + "B" * 35


def test_engine_and_master_come_from_the_settings() -> None:
    default = load_settings(env_file=None, telegram_bot_token=TOKEN)
    assert (default.train_engine, default.spark_master) == ("torch", "local[*]")
    for master in ("local", "local[2]", "local[4,2]", "spark://10.0.0.5:7077", "yarn"):
        settings = load_settings(
            env_file=None, telegram_bot_token=TOKEN, train_engine="spark", spark_master=master
        )
        assert (settings.train_engine, settings.spark_master) == ("spark", master)


@pytest.mark.parametrize(
    ("variable", "value", "fix"),
    [
        ("train_engine", "flink", "use torch or spark"),
        ("spark_master", "localhost:7077", "spark://host:7077"),
        ("spark_master", "local[two]", "local[4]"),
    ],
)
def test_a_bad_engine_setting_names_the_variable_and_the_fix(
    variable: str, value: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env_file=None, telegram_bot_token=TOKEN, **{variable: value})
    assert str(error.value).startswith(variable.upper())
    assert fix in str(error.value)


async def test_the_snapshot_is_parquet_and_names_the_engine(
    service: MovieService, tmp_path: Path
) -> None:
    settings = load_settings(
        env_file=None,
        telegram_bot_token=TOKEN,
        model_path=tmp_path / "model.safetensors",
        train_engine="spark",
        spark_master="local[1]",
    )
    await service.register(7_000_000_001, "Ada", None)  # Telegram ids beyond 2^32
    await service.rate(7_000_000_001, 50, 5.0)
    await service.rate(7_000_000_001, 181, 2.5)
    retrainer = Retrainer(settings, service.storage, service)
    job, users = await retrainer._prepare(tmp_path)
    snapshot = pd.read_parquet(job.snapshot)
    assert job.snapshot.endswith(".parquet")
    assert sorted(zip(snapshot["item_id"], snapshot["rating"], strict=True)) == [
        (50, 5.0),
        (181, 2.5),
    ]
    assert set(snapshot["user_id"]) == {0} and users == {7_000_000_001}  # no Telegram id
    assert (job.engine, job.spark_master) == ("spark", "local[1]")
    assert job.config == training_config(settings).to_dict()


@pytest.mark.spark
def test_the_worker_trains_the_candidate_on_spark(
    spark: Any, movielens: Any, trained: Path, tmp_path: Path
) -> None:
    """The worker's whole Spark path, in this process's Spark session: snapshot and base
    ratings combined, the training share written as Parquet and trained by MLlib, the
    candidate scored on the holdout and saved."""
    base = movielens.ratings[movielens.ratings["user_id"] <= 60]  # a small, real release
    release = tmp_path / "ml-small"
    release.mkdir()
    base.rename(columns={"user_id": "userId", "item_id": "movieId"}).to_csv(
        release / "ratings.csv", index=False
    )
    films = pd.DataFrame({"movieId": sorted(base["item_id"].unique())})
    films.assign(title="Film", genres="Drama").to_csv(release / "movies.csv", index=False)
    bot = pd.DataFrame(
        {"user_id": [9_000_000_000] * 3, "item_id": [50, 172, 181], "rating": [5.0, 4.0, 5.0]}
    )
    bot.to_parquet(tmp_path / "bot-ratings.parquet", index=False)
    job = TrainJob(
        data_dir=str(tmp_path),
        dataset=str(release),
        snapshot=str(tmp_path / "bot-ratings.parquet"),
        serving_model=str(trained),
        candidate=str(tmp_path / "candidate.safetensors"),
        progress=str(tmp_path / "progress.json"),
        config=TrainConfig(factors=4, rank_factors=4, seed=3).to_dict(),
        engine="spark",
        spark_master="local[2]",
    )
    result = train_candidate(job)
    candidate = FactorModel.load(job.candidate)
    assert candidate.metadata["engine"] == "spark"
    assert candidate.metadata["config"]["factors"] == 4
    assert (tmp_path / "train.parquet").is_file()
    assert result["bot_ratings"] == 3
    assert 0.5 < result["new"]["rmse"] < 1.5 and result["new"]["ndcg@10"] > 0
    assert candidate.metadata["metrics"]["holdout"] == result["new"]
    combined = combined_ratings(base, bot["user_id"], bot["item_id"], bot["rating"])
    train, _ = split_holdout(combined)
    assert candidate.n_users == train["user_id"].nunique()
    assert candidate.users.ids.max() == 61  # the bot's user, after the release's 60
    # Movie night on the Spark-trained file: two members folded in, five films for both.
    members = [candidate.fold_in([50, 172], [5, 4]), candidate.fold_in([181, 1], [5, 2])]
    films = candidate.item_ids
    night = suggest(predict_members(candidate, members, films), films, exclude=[50, 172, 181, 1])
    assert len(night.picks) == 5
    assert not {pick.item_id for pick in night.picks} & {50, 172, 181, 1}
