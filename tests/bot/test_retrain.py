"""Retraining decisions, file swaps, and the nightly schedule (the process part is e2e)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from offline import OfflineRequest
from telegram.ext import CallbackContext

from bot.app import build_application
from bot.config import load_settings
from bot.handlers import admin
from bot.retrain import Retrainer, _read_progress, better_or_equal, training_config
from bot.runtime import RESOURCES_KEY
from bot.service import MovieService
from bot.storage import Storage
from recsys import FactorModel
from recsys.data import Dataset

TOKEN = "123456:" + "B" * 35


def test_a_candidate_serves_unless_worse_beyond_the_tolerance() -> None:
    old = {"rmse": 0.90, "ndcg@10": 0.40}
    assert better_or_equal({"rmse": 0.90, "ndcg@10": 0.40}, old)
    assert better_or_equal({"rmse": 0.904, "ndcg@10": 0.395}, old)
    assert not better_or_equal({"rmse": 0.91, "ndcg@10": 0.45}, old)
    assert not better_or_equal({"rmse": 0.85, "ndcg@10": 0.38}, old)


async def test_nightly_runs_only_when_ratings_arrived(
    model: FactorModel, movielens: Dataset, tmp_path: Path
) -> None:
    now = [1_700_000_000]
    storage = await Storage.open(tmp_path / "db.sqlite3", clock=lambda: now[0])
    try:
        service = MovieService(storage, model, movielens.catalog)
        settings = load_settings(env_file=None, telegram_bot_token=TOKEN, model_path=tmp_path / "m")
        retrainer = Retrainer(settings, storage, service)
        assert await retrainer.new_ratings_since_last_run() == 0
        await service.register(1, "Ada", None)
        await service.rate(1, 50, 5.0)
        assert await retrainer.new_ratings_since_last_run() == 1
        now[0] += 60
        run = await storage.start_run("nightly")
        await storage.finish_run(run, "kept", metrics={})
        assert await retrainer.new_ratings_since_last_run() == 0
        now[0] += 60
        await service.rate(1, 50, 4.0)  # a changed rating is new data too
        assert await retrainer.new_ratings_since_last_run() == 1
    finally:
        await storage.close()


async def test_nightly_job_skips_when_nothing_is_new(service: MovieService, tmp_path) -> None:
    settings = load_settings(env_file=None, telegram_bot_token=TOKEN, model_path=tmp_path / "m")
    application = build_application(settings, request=OfflineRequest())
    retrainer = Retrainer(settings, service.storage, service)
    application.bot_data[RESOURCES_KEY] = type("R", (), {"retrainer": retrainer})()
    await admin.nightly(CallbackContext(application))
    assert await service.storage.runs() == []  # nothing new: no run was started


@pytest.mark.parametrize(("clock", "zone"), [("04:00", "UTC"), ("23:30", "Asia/Tokyo")])
async def test_the_nightly_job_is_scheduled_at_retrain_time(
    clock: str, zone: str, trained: Path, tmp_path: Path
) -> None:
    settings = load_settings(
        env_file=None,
        telegram_bot_token=TOKEN,
        retrain_time=clock,
        timezone=zone,
        model_path=trained,
        database_path=tmp_path / "db.sqlite3",
    )
    application = build_application(settings, request=OfflineRequest())
    await application.initialize()
    try:
        assert application.post_init is not None
        await application.post_init(application)
        await application.job_queue.start()
        [job] = application.job_queue.get_jobs_by_name("nightly-retraining")
        local = job.next_t.astimezone(settings.tz)
        assert local.strftime("%H:%M") == clock
        assert job.next_t - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)
        # Run late rather than never, once however late.
        assert job.job.misfire_grace_time is None and job.job.coalesce
    finally:
        await application.job_queue.stop()
        await application.post_shutdown(application)
        await application.shutdown()


def test_training_settings_come_from_the_configuration() -> None:
    settings = load_settings(
        env_file=None,
        telegram_bot_token=TOKEN,
        train_solver="als",
        train_factors=12,
        train_reg=0.3,
        train_epochs=7,
        train_seed=5,
    )
    config = training_config(settings)
    assert (config.star_solver, config.factors, config.reg_factors) == ("als", 12, 0.3)
    assert (config.epochs, config.seed) == (7, 5)


def test_progress_lines_carry_the_time_left(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    path.write_text('{"stage": "training the star head", "fraction": 0.25, "eta_s": 300.0}')
    assert _read_progress(str(path)) == "training the star head (25%, about 5 min left)"
    path.write_text('{"stage": "training the rank head", "fraction": 0.5, "eta_s": 12.4}')
    assert _read_progress(str(path)) == "training the rank head (50%, about 12 s left)"
    path.write_text('{"stage": "reading data", "fraction": 0.0, "eta_s": null}')
    assert _read_progress(str(path)) == "reading data (0%)"


def test_train_config_is_the_base_and_train_settings_that_are_set_win(tmp_path: Path) -> None:
    from recsys import TrainConfig

    tuned = TrainConfig(factors=48, rank_reg=12.0, reg_factors=0.07)
    tuned.save(tmp_path / "tuned.json")
    plain = load_settings(
        env_file=None, telegram_bot_token=TOKEN, train_config=tmp_path / "tuned.json"
    )
    assert training_config(plain) == tuned
    overridden = load_settings(
        env_file=None,
        telegram_bot_token=TOKEN,
        train_config=tmp_path / "tuned.json",
        train_factors=16,
    )
    assert training_config(overridden) == TrainConfig(factors=16, rank_reg=12.0, reg_factors=0.07)
    assert training_config(load_settings(env_file=None, telegram_bot_token=TOKEN)) == TrainConfig()


def test_an_unreadable_train_config_is_refused_at_start_up(tmp_path: Path) -> None:
    from bot.config import ConfigError

    with pytest.raises(ConfigError, match=r"TRAIN_CONFIG=.* is not a file"):
        load_settings(env_file=None, telegram_bot_token=TOKEN, train_config=tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text('{"config": {"factorz": 3}}')
    with pytest.raises(ConfigError, match="unknown training setting 'factorz'"):
        load_settings(env_file=None, telegram_bot_token=TOKEN, train_config=tmp_path / "bad.json")
