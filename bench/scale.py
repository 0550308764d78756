"""Training at MovieLens 25M scale on this machine: reading the ratings, every head of the
served model to convergence, seconds per sweep, GFLOP/s against torch.mm, and peak memory.

    python bench/scale.py [--scale 0.1] [--dir /tmp/moviebot-scale] [--keep]
    python bench/scale.py --engine spark [--scale 0.1] [--driver-memory 8g]  # scale_spark.py

The synthetic ML-25M-shaped release (bench/synthetic.py) is generated once per scale under
``--dir`` and reused. Reading and training each run in a fresh subprocess, so each peak RSS is
that work's own. The binary ratings cache a run creates beside the CSV is removed afterwards
unless ``--keep``. Writes bench/results/scale.json and scale.md (``scale-10pct`` and so on
below full scale).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write
from synthetic import ML25M_SHAPE, generate, write_release

from recsys import TrainConfig, Trainer
from recsys.data import load_dataset

DEFAULT_DIR = Path("/tmp/moviebot-scale")
SEED = 0
GENERATOR_VERSION = 3  # bump when bench/synthetic.py changes what it generates
BARS = {"train_s": 600.0, "peak_rss_gb": 6.0, "first_read_s": 60.0, "cached_read_s": 5.0}


def scale_config() -> TrainConfig:
    """The served model's settings for tens of millions of ratings: ``TrainConfig.for_scale()``,
    what ``python -m recsys train`` picks by itself above 2M ratings.

    The star head is explicit biased ALS (the Adam solver recomputes every user's implicit
    term on every minibatch: its epoch cost grows with the square of the ratings). The
    neighbour head covers the most rated few thousand films: its item-item similarities cost
    ratings × films. Without ``min_improvement`` patience cannot fire (ALS gains ~1e-6 RMSE a
    sweep long after it has converged).
    """
    return TrainConfig.for_scale()


# ----------------------------------------------------------------------------- the data set


def ensure_release(root: Path, scale: float) -> Path:
    """The synthetic release for ``scale`` under ``root``, generated on first use."""
    shape = {key: max(1, round(value * scale)) for key, value in ML25M_SHAPE.items()}
    folder = root / f"ml-25m-synthetic-{scale:g}"
    stamp = folder / "synthetic.json"
    wanted = {**shape, "seed": SEED, "version": GENERATOR_VERSION}
    if stamp.is_file() and json.loads(stamp.read_text()).get("request") == wanted:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    print(f"generating {shape['ratings']:,} ratings into {folder} (once)", flush=True)
    started = time.perf_counter()
    frame = generate(shape["users"], shape["items"], shape["ratings"], SEED)
    generated = time.perf_counter() - started
    written = write_release(folder, frame, shape["items"])
    stamp.write_text(json.dumps({"request": wanted, "ratings": len(frame)}))
    print(f"  {len(frame):,} ratings: generated in {generated:.0f} s, written in {written:.0f} s")
    return folder


# ----------------------------------------------------------------------------- workers


def peak_rss_gb() -> float:
    """This process's peak resident set (VmHWM), in GB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e9
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def read_worker(folder: Path) -> dict[str, Any]:
    shutil.rmtree(folder / ".cache", ignore_errors=True)
    started = time.perf_counter()
    dataset = load_dataset(folder)
    first = time.perf_counter() - started
    del dataset
    started = time.perf_counter()
    dataset = load_dataset(folder)
    cached = time.perf_counter() - started
    return {
        "first_read_s": first,
        "cached_read_s": cached,
        "ratings": len(dataset.ratings),
        "users": dataset.n_users,
        "items": dataset.n_items,
        "csv_mb": (folder / "ratings.csv").stat().st_size / 1e6,
        "peak_rss_gb": peak_rss_gb(),
    }


def mm_peak_gflops(size: int = 2048, repeats: int = 8) -> float:
    """Best float32 ``torch.mm`` throughput here: the ceiling to compare sweeps against."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = min(_seconds(lambda: a @ b) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


class _Meter:
    """Wraps a function of ``recsys.train``: calls, seconds and floating-point operations."""

    def __init__(self, name: str, flops: Callable[..., float]) -> None:
        self.name, self.flops = name, flops
        self.seconds: list[float] = []
        self.operations = 0.0

    def install(self, module: Any) -> None:
        original = getattr(module, self.name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = original(*args, **kwargs)
            self.seconds.append(time.perf_counter() - started)
            self.operations += self.flops(*args, **kwargs)
            return result

        setattr(module, self.name, timed)

    def summary(self) -> dict[str, float]:
        total = sum(self.seconds)
        return {
            "calls": len(self.seconds),
            "seconds": total,
            "gflop": self.operations / 1e9,
            "gflops_per_s": self.operations / total / 1e9 if total else 0.0,
        }


def half_step_flops(matrix: Any, k: int) -> float:
    """One exact half-step: Gram (2k² per entry), right-hand side (2k per entry), and per
    non-empty row a Cholesky (k³/3) and two triangular solves (2k²)."""
    rows = int(np.count_nonzero(matrix.lengths))
    return len(matrix.indices) * (2 * k * k + 2 * k) + rows * (k**3 / 3 + 2 * k * k)


def train_worker(folder: Path) -> dict[str, Any]:
    import recsys.train as train_module

    config = scale_config()
    load_before = os.getloadavg()[0]
    peak = mm_peak_gflops()
    started = time.perf_counter()
    dataset = load_dataset(folder)
    ratings, genres = dataset.ratings, dataset.catalog.genres_by_item()
    del dataset
    load_seconds = time.perf_counter() - started

    star = _Meter("biased_half_step", lambda f, b, m, *a, **kw: half_step_flops(m, f.shape[1] + 1))
    rank = _Meter(
        "wmf_sweep",
        lambda t, u, i, *a, **kw: (
            half_step_flops(t.by_user, u.shape[1]) + half_step_flops(t.by_item, u.shape[1])
        ),
    )
    refit = _Meter("refit_users", lambda *a, **kw: 0.0)
    neighbours = _Meter("fit_neighbours", lambda *a, **kw: 0.0)
    blend = _Meter("_fit_blend", lambda *a, **kw: 0.0)
    meters = [star, rank, refit, neighbours, blend]
    for meter in meters:
        meter.install(train_module)
    events: list[tuple[str, dict[str, float]]] = []

    def on_epoch(head: str, metrics: dict[str, float]) -> None:
        events.append((head, dict(metrics)))
        shown = {k: round(v, 4) for k, v in metrics.items()}
        print(f"  {time.perf_counter() - started:7.1f} s  {head} {shown}", flush=True)

    started = time.perf_counter()
    model = Trainer(config, on_epoch=on_epoch).fit(ratings, genres)
    train_seconds = time.perf_counter() - started
    history = model.metadata["history"]
    has_neighbours = (
        model.neighbours.neighbour_weights[:, 0] > 0 if model.neighbours is not None else []
    )
    star_epochs = [m["seconds"] for h, m in events if h == "star"]
    rank_epochs = [m["seconds"] for h, m in events if h == "rank"]
    star_solve = star.summary()
    rank_solve = rank.summary()
    return {
        "config": config.to_dict(),
        "load_cached_s": load_seconds,
        "train_seconds": train_seconds,
        "peak_rss_gb": peak_rss_gb(),
        "mm_peak_gflops": peak,
        "threads": torch.get_num_threads(),
        # Other processes on the machine: above ~2 on 2 cores, timings here are inflated.
        "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
        "chosen_epochs": model.metadata["epochs"],
        "star": {
            "epochs": len(star_epochs),
            "epoch_seconds_mean": float(np.mean(star_epochs)),
            # Two half-steps per sweep in the validation run; refit_users adds none here.
            "sweep_solve_seconds": star_solve["seconds"] / max(star_solve["calls"] / 2, 1),
            "gflops_per_s": star_solve["gflops_per_s"],
            "sweep_gflop": star_solve["gflop"] / max(star_solve["calls"] / 2, 1),
            "best_val_rmse": min(m["val_rmse"] for m in history["star"]),
        },
        "rank": {
            "sweeps": rank_solve["calls"],
            "validation_sweeps": len(rank_epochs),
            "epoch_seconds_mean": float(np.mean(rank_epochs)),
            "sweep_solve_seconds": rank_solve["seconds"] / max(rank_solve["calls"], 1),
            "gflops_per_s": rank_solve["gflops_per_s"],
            "sweep_gflop": rank_solve["gflop"] / max(rank_solve["calls"], 1),
            "best_val_ndcg@10": max(m["val_ndcg@10"] for m in history["rank"]),
        },
        "refit_users_seconds": refit.summary()["seconds"],
        "neighbours": {
            "fits": neighbours.summary()["calls"],
            "fit_seconds": neighbours.seconds,
            "films_with_neighbours": int(np.count_nonzero(has_neighbours)),
            "blend_seconds": blend.summary()["seconds"],
            "blend": model.blend.to_list(),
        },
        "solve_seconds_total": star_solve["seconds"] + rank_solve["seconds"],
    }


def run_worker(mode: str, folder: Path) -> dict[str, Any]:
    """``mode`` in a fresh interpreter; its progress is echoed, its result is its last line."""
    return run_json([sys.executable, __file__, "--worker", mode, "--data", str(folder)], mode)


def run_json(command: list[str], what: str) -> dict[str, Any]:
    """Run ``command``, echo its output but the last line, and return that line as JSON."""
    last = ""
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if last:
                print(last, end="", flush=True)
            last = line
    if process.returncode != 0 or not last:
        raise SystemExit(f"the {what} worker failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(last)
    return result


# ----------------------------------------------------------------------------- report


def report(scale: float, read: dict[str, Any], trained: dict[str, Any]) -> str:
    star, rank = trained["star"], trained["rank"]
    peak_rss = max(read["peak_rss_gb"], trained["peak_rss_gb"])

    def verdict(value: float, bar: float) -> str:
        if scale != 1.0:
            return f"≤ {bar:g} at full scale"
        return f"≤ {bar:g}: " + ("pass" if value <= bar else "FAIL")

    shape = f"{read['ratings']:,} / {read['users']:,} / {read['items']:,}"
    rss = f"{read['peak_rss_gb']:.2f} / {trained['peak_rss_gb']:.2f} GB"
    star_sweeps = (
        f"{star['epochs']}, {star['sweep_solve_seconds']:.2f} s, {star['epoch_seconds_mean']:.2f} s"
    )
    rank_sweeps = (
        f"{rank['validation_sweeps']} + {rank['sweeps'] - rank['validation_sweeps']}, "
        f"{rank['sweep_solve_seconds']:.2f} s, {rank['epoch_seconds_mean']:.2f} s"
    )
    speed = (
        f"{star['gflops_per_s']:.0f} / {rank['gflops_per_s']:.0f} vs "
        f"{trained['mm_peak_gflops']:.0f} ({star['sweep_gflop']:.0f} / "
        f"{rank['sweep_gflop']:.0f} GFLOP a sweep)"
    )
    quality = f"{star['best_val_rmse']:.4f} / {rank['best_val_ndcg@10']:.4f}"
    knn = trained["neighbours"]
    neighbour_cells = (
        f"{knn['films_with_neighbours']:,}, "
        + " + ".join(f"{s:.1f}" for s in knn["fit_seconds"])
        + f" s, {knn['blend_seconds']:.1f} s"
    )
    first, cached, seconds = read["first_read_s"], read["cached_read_s"], trained["train_seconds"]
    rows = [
        ["ratings / users / films", shape, ""],
        ["ratings.csv", f"{read['csv_mb']:.0f} MB", ""],
        ["first read (CSV → cache)", f"{first:.1f} s", verdict(first, BARS["first_read_s"])],
        ["read from cache", f"{cached:.2f} s", verdict(cached, BARS["cached_read_s"])],
        ["training, all heads, converged", f"{seconds:.0f} s", verdict(seconds, BARS["train_s"])],
        ["peak RSS (read / train)", rss, verdict(peak_rss, BARS["peak_rss_gb"])],
        ["star head: sweeps, s/sweep solving, s/epoch with validation", star_sweeps, ""],
        ["rank head: sweeps (valid. + refit), s/sweep solving, s/sweep + probe", rank_sweeps, ""],
        ["users solved again (genre prior, refit)", f"{trained['refit_users_seconds']:.1f} s", ""],
        ["neighbour head: films with neighbours, s per fit, s blend", neighbour_cells, ""],
        ["sweep GFLOP/s (star / rank) vs torch.mm peak", speed, ""],
        ["best validation RMSE / NDCG@10", quality, ""],
    ]  # fmt: skip
    return markdown_table(["measure", "value", "bar (2 cores)"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="share of ML-25M's size")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where data is generated")
    parser.add_argument("--keep", action="store_true", help="keep the binary ratings cache")
    parser.add_argument("--note", default="", help="a line stored with the results")
    parser.add_argument(
        "--engine",
        choices=["torch", "spark"],
        default="torch",
        help="spark: the Spark engine next to torch (bench/scale_spark.py)",
    )
    parser.add_argument("--cores", type=int, default=2, help="Spark local mode cores")
    parser.add_argument("--driver-memory", default="8g", help="Spark driver JVM heap")
    parser.add_argument(
        "--spark-iterations",
        type=int,
        help="ALS iterations per head, fewer "
        "than the served 15 to fit a slow machine (the rest is projected)",
    )
    parser.add_argument("--worker", choices=["read", "train"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine == "spark":
        from scale_spark import run

        run(args.scale, args.dir, args.cores, args.driver_memory, args.spark_iterations, args.note)
        return
    if args.worker:
        work = read_worker if args.worker == "read" else train_worker
        print(json.dumps(work(args.data)))
        return

    folder = ensure_release(args.dir, args.scale)
    try:
        print("reading", flush=True)
        read = run_worker("read", folder)
        print("training", flush=True)
        trained = run_worker("train", folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder / ".cache", ignore_errors=True)
    table = report(args.scale, read, trained)
    load = trained["load_average_1min"]
    table += f"\n\nLoad average (1 min) while training: {load['start']:.1f} → {load['end']:.1f}."
    if args.note:
        table += f"\n\n{args.note}"
    name = "scale" if args.scale == 1.0 else f"scale-{args.scale * 100:g}pct"
    payload = {"scale": args.scale, "note": args.note, "bars": BARS, "read": read, "train": trained}
    write(name, payload, table)


if __name__ == "__main__":
    main()
