"""The history of retraining: one row per run, from start to its outcome."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Literal, cast

from bot.storage.database import Database
from bot.storage.records import FINISHED_RUN_STATUSES, RunStatus, TrainingRun

_TRIGGER_RE = re.compile(r"nightly|first|admin:[0-9]{1,19}")
_RUN_COLUMNS = "run_id, started_at, finished_at, trigger, status, metrics, error, model_version"


class RunStore(Database):
    """Training runs, newest first."""

    async def start_run(self, trigger: str) -> int:
        """Record that a retraining run started; ``trigger`` is 'nightly', 'admin:<user id>'
        or 'first' (the full model trained after a quick first one)."""
        if not _TRIGGER_RE.fullmatch(trigger):
            raise ValueError(
                f"trigger must be 'nightly', 'first' or 'admin:<user id>', not {trigger!r}"
            )
        rows = await self.write(
            "INSERT INTO training_runs (started_at, trigger) VALUES (?, ?) RETURNING run_id",
            (self.now(), trigger),
            marks_handled=True,
        )
        return int(rows[0][0])

    async def finish_run(
        self,
        run_id: int,
        status: Literal["swapped", "kept", "failed"],
        *,
        metrics: dict[str, Any] | None = None,
        error: str | None = None,
        model_version: str | None = None,
    ) -> None:
        """Close a running run: 'swapped' (new model serving), 'kept' (old model was better) or
        'failed' (with ``error``). Raises LookupError if the run is not running."""
        if status not in FINISHED_RUN_STATUSES:
            raise ValueError(f"status must be one of {sorted(FINISHED_RUN_STATUSES)}")
        # allow_nan=False: NaN is not JSON, and SQLite's json_valid() would refuse it anyway.
        metrics_json = None if metrics is None else json.dumps(metrics, allow_nan=False)
        updated = await self.write(
            "UPDATE training_runs SET finished_at = ?, status = ?, metrics = ?, error = ?, "
            "model_version = ? WHERE run_id = ? AND status = 'running' RETURNING 1",
            (self.now(), status, metrics_json, error, model_version, run_id),
        )
        if not updated:
            raise LookupError(f"training run {run_id} is not running")

    async def abandon_running_runs(self, error: str = "interrupted by a restart") -> int:
        """Mark runs left 'running' by a process that died as failed; returns how many."""
        rows = await self.write(
            "UPDATE training_runs SET status = 'failed', finished_at = ?, error = ? "
            "WHERE status = 'running' RETURNING 1",
            (self.now(), error),
        )
        return len(rows)

    async def last_run(self) -> TrainingRun | None:
        runs = await self.runs(limit=1)
        return runs[0] if runs else None

    async def runs(self, limit: int = 20) -> list[TrainingRun]:
        """The latest training runs, newest first."""
        rows = await self.read(
            f"SELECT {_RUN_COLUMNS} FROM training_runs ORDER BY run_id DESC LIMIT ?", (limit,)
        )
        return [_training_run(row) for row in rows]


def _training_run(row: Iterable[Any]) -> TrainingRun:
    run_id, started, finished, trigger, status, metrics, error, version = row
    return TrainingRun(
        run_id=run_id,
        started_at=started,
        finished_at=finished,
        trigger=trigger,
        status=cast(RunStatus, status),
        metrics=None if metrics is None else json.loads(metrics),
        error=error,
        model_version=version,
    )
