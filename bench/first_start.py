"""A first start on a catalogue: how long until the bot can answer (no model yet), and until
the full model serves.

    python bench/first_start.py CATALOGUE [CATALOGUE ...]

Each CATALOGUE (a release name in ./data, or a MovieLens folder or zip) gets a fresh model
path and database; the bot's own start-up (bot.runtime.open_resources, as PTB's post_init
runs it) is timed from the process's launch until it returns (the bot answers from then
on; loading the Telegram library is not counted), then until the full model
is swapped in where the first one was a quick one. The bot process's peak RSS is its own:
training runs in a worker process. Writes bench/results/first_start.json and .md, keeping the
rows of catalogues it did not run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, markdown_table, write
from scale import peak_rss_gb

from bot.config import load_settings
from bot.runtime import close_resources, open_resources


async def first_start(catalogue: str, workdir: Path) -> dict[str, Any]:
    settings = load_settings(
        None,
        catalogue=catalogue,
        model_path=workdir / "model.safetensors",
        database_path=workdir / "bot.sqlite3",
    )
    started = time.perf_counter() - seconds_since_launch()  # imports are part of a start
    resources = await open_resources(settings)
    answering = time.perf_counter() - started
    model = resources.service.model
    row: dict[str, Any] = {
        "catalogue": catalogue,
        "films": len(resources.service.catalog),
        "answers_after_s": answering,
        "quick": bool(model.metadata.get("quick")),
        "full_after_s": answering,
    }
    try:
        if resources.full_training is not None:
            report = await resources.full_training
            row["full_after_s"] = time.perf_counter() - started
            row["full_run"] = getattr(report, "status", None)
            row["full_holdout"] = {"new": getattr(report, "new", None), "old": report.old}
    finally:
        await close_resources(resources)
    row["bot_peak_rss_gb"] = peak_rss_gb()
    return row


def seconds_since_launch() -> float:
    """How long this process has existed (Linux: its start time in /proc)."""
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - int(fields[19]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("catalogues", nargs="+")
    parser.add_argument("--row", type=Path, help=argparse.SUPPRESS)  # one run, into this file
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.row is not None:
        with tempfile.TemporaryDirectory(prefix="moviebot-first-start-") as workdir:
            row = asyncio.run(first_start(args.catalogues[0], Path(workdir)))
        args.row.write_text(json.dumps(row))
        return
    # Catalogues measured by earlier runs stay in the table (a big one takes many minutes).
    previous = RESULTS / "first_start.json"
    kept = json.loads(previous.read_text())["runs"] if previous.is_file() else []
    names = {Path(c).name for c in args.catalogues}
    rows = [r for r in kept if Path(r["catalogue"]).name not in names]
    for catalogue in args.catalogues:
        # A process each, so that each peak RSS is that start's own.
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, catalogue, "--row", out.name]
            subprocess.run(command, check=True)
            rows.append(json.loads(Path(out.name).read_text()))
    rows.sort(key=lambda r: r["films"])
    table = markdown_table(
        ["catalogue", "films", "bot answers after", "first model", "full model serves after",
         "bot peak RSS"],
        [
            [
                Path(r["catalogue"]).name, f"{r['films']:,}", f"{r['answers_after_s']:.0f} s",
                "quick (sample)" if r["quick"] else "full",
                f"{r['full_after_s'] / 60:.1f} min ({r.get('full_run', 'same')})",
                f"{r['bot_peak_rss_gb']:.2f} GB",
            ]
            for r in rows
        ],
    )  # fmt: skip
    write("first_start", {"runs": rows}, table)


if __name__ == "__main__":
    main()
