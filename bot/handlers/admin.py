"""Admin commands: /retrain, /rollback, /stats — for the ids in ADMIN_USER_IDS only."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from datetime import datetime
from functools import wraps
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.command import Command
from bot.retrain import AlreadyRunning, Retrainer, RunReport
from bot.runtime import RESOURCES_KEY, Resources
from recsys.plots import build_learning_curve, build_ratings_histogram, png_bytes

log = logging.getLogger(__name__)
NOT_ADMIN = "This command is for admins."
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def _resources(context: ContextTypes.DEFAULT_TYPE) -> Resources:
    resources: Resources = context.bot_data[RESOURCES_KEY]
    return resources


def admins_only(handler: Handler) -> Handler:
    """Anyone else gets one short line, and nothing happens."""

    @wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user, message = update.effective_user, update.effective_message
        if user is None or message is None:
            return
        if user.id not in _resources(context).settings.admin_user_ids:
            await message.reply_text(NOT_ADMIN)
            return
        await handler(update, context)

    return guarded


@admins_only
async def retrain(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/retrain: train in another process; one status message follows the run."""
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    retrainer = _resources(context).retrainer
    if retrainer.running:
        await message.reply_text("A retraining run is already in progress.")
        return
    status = await message.reply_text("Retraining: starting…")
    trigger = f"admin:{update.effective_user.id}"
    # In the background: the handler returns at once and every other update keeps flowing.
    context.application.create_task(_run_and_report(retrainer, trigger, status))


async def _run_and_report(retrainer: Retrainer, trigger: str, status: Message) -> None:
    async def progress(stage: str) -> None:
        await _edit(status, f"Retraining: {stage}")

    try:
        report = await retrainer.start(trigger, progress)
    except AlreadyRunning:
        await _edit(status, "A retraining run is already in progress.")
        return
    await _edit(status, describe(report))


def describe(report: RunReport) -> str:
    if report.status == "failed":
        return f"Retraining failed; the serving model is unchanged.\n{report.error}"
    assert report.new is not None and report.old is not None
    verdict = (
        "The new model is serving now (/rollback undoes it)."
        if report.status == "swapped"
        else "The new model was worse; the old one keeps serving."
    )
    if not report.comparable:
        verdict += " (The old model had been trained on the held-out ratings, so its scores"
        verdict += " below flatter it; from now on every model leaves them out.)"
    return (
        f"Retraining finished in {report.seconds:.0f} s. {verdict}\n"
        f"held-out RMSE {report.new['rmse']:.4f} (was {report.old['rmse']:.4f}), "
        f"NDCG@10 {report.new['ndcg@10']:.4f} (was {report.old['ndcg@10']:.4f})"
    )


async def _edit(message: Message, text: str) -> None:
    try:
        await message.edit_text(text)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            log.warning("could not update the retraining status: %s", exc.message)


@admins_only
async def rollback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/rollback: serve the previous model file again."""
    message = update.effective_message
    assert message is not None
    await message.reply_text(await rollback_text(_resources(context).retrainer))


async def rollback_text(retrainer: Retrainer) -> str:
    """Roll back when that is possible; what to tell the admin (the console says it too)."""
    if retrainer.running:
        return "Wait for the retraining run to finish first."
    if await retrainer.rollback():
        return "Rolled back: the previous model is serving again."
    return "There is no previous model to roll back to."


@admins_only
async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: users, ratings, the model, the last run, and two pictures."""
    message = update.effective_message
    assert message is not None
    res = _resources(context)
    await message.reply_text(await stats_text(res))
    for png, caption in await stats_pictures(res):
        await message.reply_photo(png, caption=caption)


async def stats_text(res: Resources) -> str:
    """/stats' text: users, ratings, the model and the last run."""
    tz = res.settings.tz
    now = time.time()
    midnight = datetime.now(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = await res.storage.stats(day_start=int(midnight.timestamp()))
    model = res.service.model
    age_h = (now - float(model.metadata.get("trained_at", now))) / 3600
    lines = [
        f"Users: {counts.users:,}; ratings: {counts.ratings:,}; today: {counts.ratings_today:,}",
        f"Model: {model.metadata.get('data_fingerprint', '?')}, trained {age_h:.1f} h ago, "
        f"{model.n_users:,} users × {model.n_items:,} films",
    ]
    last = await res.storage.last_run()
    if last is not None:
        lines.append(f"Last training run: {last.trigger}, {last.status}")
        if last.metrics and "new" in last.metrics:
            new = last.metrics["new"]
            lines.append(f"  held-out RMSE {new['rmse']:.4f}, NDCG@10 {new['ndcg@10']:.4f}")
    lines.append(f"Time zone: {tz.key}")
    return "\n".join(lines)


async def stats_pictures(res: Resources) -> list[tuple[bytes, str]]:
    """/stats' two pictures (PNG, caption), drawn on a thread."""
    model = res.service.model
    events = await res.storage.all_ratings()
    stars = [e.stars for e in events]

    def draw() -> tuple[bytes, bytes]:
        return (
            png_bytes(build_learning_curve(model)),
            png_bytes(build_ratings_histogram(stars, title="Bot users' ratings by stars")),
        )

    curve, histogram = await asyncio.to_thread(draw)
    return [
        (curve, "Learning curve of the serving model"),
        (histogram, "Bot users' ratings by stars"),
    ]


async def nightly(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily job: retrain when ratings arrived since the last run, else skip."""
    retrainer = _resources(context).retrainer
    if retrainer.running:
        log.info("nightly retraining skipped: a run is in progress")
        return
    fresh = await retrainer.new_ratings_since_last_run()
    if fresh == 0:
        log.info("nightly retraining skipped: no rating since the last run")
        return
    report = await retrainer.start("nightly")
    log.info("nightly retraining: %s", describe(report).replace("\n", " "))


ADMIN: tuple[Command, ...] = (
    Command("retrain", "train a new model; it serves if it is not worse", "admin", retrain),
    Command("rollback", "serve the previous model again", "admin", rollback),
    Command("stats", "users, ratings, the model and the last training run", "admin", stats),
)
