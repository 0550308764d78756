"""Retraining while users keep using the bot: admin-only, in another process, safe swap."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import statistics
import time
from pathlib import Path

from botprocess import BotProcess
from conftest import STARTUP_S

from recsys import FactorModel, TrainConfig, Trainer
from recsys.data import default_data_dir, load_dataset
from recsys.holdout import HOLDOUT_SHARE, split_holdout
from tests.fakebotapi import FakeBotApi, FakeMessage

ADMIN, USER = 7, 201
FAST_TRAINING = {"TRAIN_FACTORS": "8", "TRAIN_EPOCHS": "8"}


def weak_serving_model(path: Path) -> Path:
    """A deliberately poor model, trained without the holdout like every model the bot trains,
    so that a retrained one must replace it."""
    train, _ = split_holdout(load_dataset("ml-100k", default_data_dir()).ratings)
    config = TrainConfig(factors=2, rank_factors=2, epochs=2, rank_sweeps=1, neighbours=0)
    model = Trainer(config).fit(train).with_metadata(holdout_share=HOLDOUT_SHARE)
    model.save(path)
    return path


def runs(db: str) -> list[tuple[str, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT trigger, status, error FROM training_runs").fetchall()


def stored(db: str, user: int) -> dict[int, float]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT item_id, stars FROM ratings WHERE user_id = ?", (user,))
        return dict(rows.fetchall())


def worker_pids(parent: int) -> list[int]:
    """Children of ``parent`` running a multiprocessing spawn worker."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


async def rate_until(user, card: FakeMessage, done: asyncio.Event) -> tuple[dict, list[float]]:
    """Keep tapping ★ and asking /recommend until ``done``; returns what was acknowledged and
    the /recommend round-trip times."""
    acknowledged: dict[int, float] = {}
    latencies = []
    stars = 1
    while not done.is_set():
        title = (card.text or "").splitlines()[0]
        item = int(card.button(f"★{stars}")["callback_data"].split(":")[1])
        answer = await user.press(card, f"★{stars}", timeout=20)
        assert answer.text == f"Saved {stars}★"
        acknowledged[item] = float(stars)
        await user.wait_for_edit(card, lambda m, t=title: (m.text or "").splitlines()[0] != t)
        started = time.perf_counter()
        await user.send("/recommend")
        await user.wait_for_message(lambda m: "for you" in (m.text or ""), timeout=20)
        latencies.append(time.perf_counter() - started)
        stars = stars % 5 + 1
    return acknowledged, latencies


async def test_retrain_is_for_admins_and_swaps_while_users_keep_rating(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**bot_env, **FAST_TRAINING}
    model_path = weak_serving_model(tmp_path / "serving.safetensors")
    env["MODEL_PATH"] = str(model_path)
    before = FactorModel.load(model_path).metadata["data_fingerprint"]
    bot = BotProcess(tmp_path, env)
    await bot.start()
    try:
        user, admin = server.user(USER, "Uma"), server.user(ADMIN, "Ada")
        await user.send("/start")
        await user.wait_for_message(timeout=STARTUP_S)
        card = await user.wait_for_message(lambda m: "★1" in m.button_texts)
        for _ in range(6):  # enough to get personal recommendations
            title = (card.text or "").splitlines()[0]
            await user.press(card, "★4")
            await user.wait_for_edit(card, lambda m, t=title: (m.text or "").splitlines()[0] != t)

        await user.send("/retrain")
        refused = await user.wait_for_message()
        assert refused.text == "This command is for admins."
        assert runs(env["DATABASE_PATH"]) == []

        idle = []
        for _ in range(3):
            started = time.perf_counter()
            await user.send("/recommend")
            await user.wait_for_message(lambda m: "for you" in (m.text or ""))
            idle.append(time.perf_counter() - started)

        await admin.send("/retrain")
        status = await admin.wait_for_message(lambda m: "Retraining" in (m.text or ""))
        await admin.send("/retrain")
        again = await admin.wait_for_message(lambda m: "already in progress" in (m.text or ""))
        assert again is not None

        finished = asyncio.Event()
        rating = asyncio.create_task(rate_until(user, card, finished))
        await admin.wait_for_edit(status, lambda m: "finished" in (m.text or ""), timeout=300)
        finished.set()
        acknowledged, busy = await rating
        print(f"/recommend round trip idle {statistics.median(idle) * 1e3:.0f} ms, "
              f"during training median {statistics.median(busy) * 1e3:.0f} ms "
              f"max {max(busy) * 1e3:.0f} ms over {len(busy)} requests")  # fmt: skip
        assert len(busy) >= 3, "users were served while the model trained"
        assert "serving now" in (status.text or ""), status.text
        [(trigger, state, _)] = runs(env["DATABASE_PATH"])
        assert (trigger, state) == (f"admin:{ADMIN}", "swapped")
        assert FactorModel.load(model_path).metadata["data_fingerprint"] != before
        mine = stored(env["DATABASE_PATH"], USER)
        assert all(mine[item] == stars for item, stars in acknowledged.items())
        assert len(mine) == 6 + len(acknowledged)

        await admin.send("/rollback")
        rolled = await admin.wait_for_message(lambda m: "Rolled back" in (m.text or ""))
        assert rolled is not None
        assert FactorModel.load(model_path).metadata["data_fingerprint"] == before
    finally:
        assert await bot.stop() == 0


async def test_a_killed_training_run_leaves_the_serving_model(
    server: FakeBotApi, bot_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**bot_env, "TRAIN_FACTORS": "32", "TRAIN_EPOCHS": "200"}  # slow enough to kill
    model_path = weak_serving_model(tmp_path / "serving.safetensors")
    env["MODEL_PATH"] = str(model_path)
    original = model_path.read_bytes()
    bot = BotProcess(tmp_path, env)
    await bot.start()
    try:
        admin = server.user(ADMIN, "Ada")
        await admin.send("/retrain")
        status = await admin.wait_for_message(
            lambda m: "Retraining" in (m.text or ""), timeout=STARTUP_S
        )
        await admin.wait_for_edit(status, lambda m: "training the" in (m.text or ""), timeout=60)
        assert bot.process is not None
        [worker] = worker_pids(bot.process.pid)
        os.kill(worker, signal.SIGKILL)
        await admin.wait_for_edit(status, lambda m: "failed" in (m.text or ""), timeout=60)
        assert "unchanged" in (status.text or "")
        [(_, state, error)] = runs(env["DATABASE_PATH"])
        assert state == "failed" and error
        assert model_path.read_bytes() == original
        await admin.send("/help")
        assert "What I can do" in (await admin.wait_for_message()).text
    finally:
        assert await bot.stop() == 0
