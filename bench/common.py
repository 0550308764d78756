"""Shared bits of the benchmarks: loading ML-100k, printing tables, writing JSON."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from recsys.data import Dataset, default_data_dir, fetch, load_dataset

RESULTS = Path(__file__).resolve().parent / "results"


def movielens_100k() -> Dataset:
    if not (default_data_dir() / "ml-100k").exists():
        fetch("ml-100k")
    return load_dataset("ml-100k")


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "processor": platform.processor() or platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def write(name: str, payload: dict[str, Any], table: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps({**payload, "machine": machine()}, indent=2))
    (RESULTS / f"{name}.md").write_text(table + "\n")
    print(table)
    print(f"\nwrote {RESULTS / name}.json and .md")


def latency_ms(samples: list[float]) -> dict[str, float]:
    """Count, median, p99 and max of durations given in seconds, in milliseconds."""
    ms = np.asarray(samples) * 1e3
    return {
        "n": len(ms),
        "median_ms": float(np.median(ms)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
    }


def serving_model(path: Path) -> Any:
    """The model file at ``path``, or one trained now on ML-100k when there is none."""
    from recsys import FactorModel, Trainer

    return FactorModel.load(path) if path.exists() else Trainer().fit(movielens_100k().ratings)
