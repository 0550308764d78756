"""The Spark engine at MovieLens 25M scale in local mode, next to the torch engine in the same
run (``bench/scale.py --engine spark``): wall time, peak memory of the Python driver and of
the JVM (in local mode the driver JVM is also the only executor), seconds per ALS iteration.

Both engines train in fresh subprocesses on the same synthetic release (bench/synthetic.py);
Spark reads it as Parquet with ml-25m's column names, written once beside the release.
Seconds per iteration come from a second Spark run with one iteration per head:
(T(n) − T(1)) / (n − 1), so block building and the final collect are not counted in them;
``--spark-iterations 1`` skips that second run and reports a head's whole time, block
building included, as an upper bound (at 25M ratings on 2 cores one iteration takes minutes).
Writes bench/results/scale-spark.json and .md (``scale-spark-10pct`` below full scale).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from common import markdown_table, write
from scale import ensure_release, peak_rss_gb, run_json, run_worker

from recsys import TrainConfig

HEADS = ("star_als", "rank_als")


def ensure_parquet(folder: Path) -> Path:
    """``<release>.parquet`` beside the release folder: its ratings.csv as Parquet, once."""
    target = folder.with_name(folder.name + ".parquet")
    source = folder / "ratings.csv"
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    print(f"writing {target} (once)", flush=True)
    temporary = target.with_name(f".{target.name}.tmp")
    pq.write_table(pa_csv.read_csv(source), temporary, row_group_size=1 << 20)
    temporary.replace(target)
    return target


def _jvm_peak_gb() -> float:
    """Peak resident set (VmHWM) of this process's java child: the Spark driver JVM."""
    me = str(os.getpid())
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == me and fields.get("Name", "").strip() == "java":
            return int(fields["VmHWM"].split()[0]) * 1024 / 1e9
    return float("nan")


def spark_worker(
    parquet: Path, cores: int, driver_memory: str, iterations: int | None
) -> dict[str, Any]:
    from recsys.spark import SparkTrainConfig
    from recsys.spark.engine import train_spark
    from recsys.spark.ratings import read_parquet
    from recsys.spark.session import spark_session

    scale = TrainConfig.for_scale()
    # Like for like with the torch run: its rank head's size too.
    config = replace(SparkTrainConfig.from_train_config(scale), rank_factors=scale.rank_factors)
    served = {"star_als": config.star_iterations, "rank_als": config.rank_iterations}
    if iterations is not None:
        config = replace(config, star_iterations=iterations, rank_iterations=iterations)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    conf = {"spark.sql.shuffle.partitions": str(4 * cores)}
    with spark_session(f"local[{cores}]", driver_memory, conf) as spark:
        session_seconds = time.perf_counter() - started

        def on_stage(stage: str, seconds: float) -> None:
            print(f"  {time.perf_counter() - started:7.1f} s  spark {stage}", flush=True)

        started_training = time.perf_counter()
        model = train_spark(read_parquet(spark, parquet), config, on_stage)
        train_seconds = time.perf_counter() - started_training
        full = model.metadata["timings"]
        once = full
        if max(config.star_iterations, config.rank_iterations) > 1:
            print("  one iteration per head, to take block building out of the rate", flush=True)
            short = replace(config, star_iterations=1, rank_iterations=1)
            once = train_spark(read_parquet(spark, parquet), short).metadata["timings"]
        jvm_peak = _jvm_peak_gb()
        version = spark.version
    ran = {"star_als": config.star_iterations, "rank_als": config.rank_iterations}
    # With one iteration a head there is nothing to subtract: its whole time, block building
    # included, is an upper bound on one iteration.
    rate = {
        head: (full[head] - once[head]) / (ran[head] - 1) if ran[head] > 1 else full[head]
        for head in HEADS
    }
    return {
        "spark_version": version,
        "cores": cores,
        "driver_memory": driver_memory,
        "config": config.to_dict(),
        "session_start_s": session_seconds,
        "train_seconds": train_seconds,
        "stages": full,
        "one_iteration_stages": once,
        "iteration_seconds": rate,
        # The served number of iterations, where fewer ran: the same run with the missing
        # iterations at the measured rate.
        "served_iterations": served,
        "projected_train_seconds": train_seconds
        + sum((served[head] - ran[head]) * rate[head] for head in HEADS),
        "jvm_peak_rss_gb": jvm_peak,
        "python_peak_rss_gb": peak_rss_gb(),
        "users": model.n_users,
        "items": model.n_items,
        "ratings": model.metadata["n_ratings"],
        "load_average_1min": {"start": load_before, "end": os.getloadavg()[0]},
    }


def run_spark_worker(
    parquet: Path, cores: int, driver_memory: str, iterations: int | None
) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--worker", "--data", str(parquet), "--cores", str(cores),
        "--driver-memory", driver_memory,
    ]  # fmt: skip
    if iterations is not None:
        command += ["--iterations", str(iterations)]
    return run_json(command, "Spark")


def report(torch_run: dict[str, Any], spark_run: dict[str, Any]) -> str:
    star, rank = torch_run["star"], torch_run["rank"]
    stages = spark_run["stages"]
    per_iteration = spark_run["iteration_seconds"]
    cfg = spark_run["config"]
    torch_wall = torch_run["load_cached_s"] + torch_run["train_seconds"]
    spark_wall = spark_run["session_start_s"] + spark_run["train_seconds"]
    ran = (cfg["star_iterations"], cfg["rank_iterations"])
    served = tuple(spark_run["served_iterations"][head] for head in HEADS)
    spark_cell = f"{spark_wall:.0f} s"
    if ran != served:
        projected = spark_run["session_start_s"] + spark_run["projected_train_seconds"]
        spark_cell += (
            f" at {ran[0]} + {ran[1]} iterations; {projected:.0f} s at {served[0]} + {served[1]}"
        )
    rows = [
        ["ratings / users / films", f"{spark_run['ratings']:,} / {spark_run['users']:,} / "
         f"{spark_run['items']:,}", "same"],
        ["factors (star / rank)", f"{torch_run['config']['factors']} / "
         f"{torch_run['config']['rank_factors']}", f"{cfg['factors']} / {cfg['rank_factors']}"],
        ["wall time, data read + all heads", f"{torch_wall:.0f} s", spark_cell],
        ["  of which: JVM start", "–", f"{spark_run['session_start_s']:.1f} s"],
        ["  of which: biases (Spark) / neighbour head (torch)",
         f"{sum(torch_run['neighbours']['fit_seconds']):.0f} s", f"{stages['biases']:.0f} s"],
        ["star head: iterations, s per iteration",
         f"{star['epochs']} sweeps, {star['sweep_solve_seconds']:.1f} s",
         f"{cfg['star_iterations']}, {_rate(cfg['star_iterations'], per_iteration['star_als'])}"],
        ["rank head: iterations, s per iteration",
         f"{rank['sweeps']} sweeps, {rank['sweep_solve_seconds']:.1f} s",
         f"{cfg['rank_iterations']}, {_rate(cfg['rank_iterations'], per_iteration['rank_als'])}"],
        ["peak memory: driver (Python)", f"{torch_run['peak_rss_gb']:.2f} GB",
         f"{spark_run['python_peak_rss_gb']:.2f} GB"],
        ["peak memory: JVM (driver + local executor)", "–",
         f"{spark_run['jvm_peak_rss_gb']:.2f} GB (heap cap {spark_run['driver_memory']})"],
    ]  # fmt: skip
    return markdown_table(["2 cores, local mode", "torch engine", "Spark engine"], rows)


def _rate(iterations: int, seconds: float) -> str:
    return f"≤ {seconds:.0f} s (block building included)" if iterations == 1 else f"{seconds:.1f} s"


def run(
    scale: float,
    root: Path,
    cores: int,
    driver_memory: str,
    iterations: int | None = None,
    note: str = "",
) -> None:
    folder = ensure_release(root, scale)
    parquet = ensure_parquet(folder)
    # Spark first, its result echoed at once: the slower engine's numbers survive a run cut
    # short while torch trains.
    print("Spark engine", flush=True)
    spark_run = run_spark_worker(parquet, cores, driver_memory, iterations)
    print(json.dumps({"spark": spark_run}), flush=True)
    print("torch engine", flush=True)
    torch_run = run_worker("train", folder)
    table = report(torch_run, spark_run)
    if note:
        table += f"\n\n{note}"
    name = "scale-spark" if scale == 1.0 else f"scale-spark-{scale * 100:g}pct"
    write(name, {"scale": scale, "note": note, "torch": torch_run, "spark": spark_run}, table)


def main() -> None:
    """The worker; ``bench/scale.py --engine spark`` runs the comparison."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--driver-memory", default="8g")
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    print(json.dumps(spark_worker(args.data, args.cores, args.driver_memory, args.iterations)))


if __name__ == "__main__":
    main()
