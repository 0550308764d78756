"""The SparkSession the engine trains in: local mode by default, any cluster by its URL."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from recsys.spark.availability import require_spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
DEFAULT_DRIVER_MEMORY = "2g"
"""Enough for ML-100k to a few million ratings in local mode, where the driver JVM is also the
executor; the 25M-rating benchmark asks for more. On a cluster the executors hold the data
and the driver only the collected factors."""

_LOCAL_DEFAULTS = {
    # A few partitions per core: Spark's 200 shuffle partitions cost more than they split.
    "spark.sql.shuffle.partitions": "8",
    "spark.ui.showConsoleProgress": "false",
}


@contextmanager
def spark_session(
    master: str = DEFAULT_MASTER,
    driver_memory: str = DEFAULT_DRIVER_MEMORY,
    conf: Mapping[str, str] | None = None,
    app_name: str = "moviebot-train",
) -> Iterator[SparkSession]:
    """A session for the duration of the block, stopped afterwards if this call started it.

    A session already active in this process (a test session's, a notebook's) is used as it
    is, with its own master and settings. ``conf`` goes to the builder as is
    (``spark.checkpoint.dir`` on a cluster's shared storage, S3 credentials...). Without
    ``spark.checkpoint.dir`` a temporary local folder holds ALS checkpoints, which only works
    where the executors share this file system (local mode, a one-machine cluster). Raises
    SparkUnavailable when pyspark or Java is missing.
    """
    require_spark()
    # pyspark 4.x warns once that it is untested with pandas 3; the engine hands pandas
    # nothing (data moves as Arrow and Parquet), so the warning would only alarm operators.
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        yield active
        return
    builder = SparkSession.builder.master(master).appName(app_name)
    settings = {"spark.driver.memory": driver_memory, **_LOCAL_DEFAULTS, **(conf or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    scratch = tempfile.mkdtemp(prefix="moviebot-spark-")
    session = builder.getOrCreate()
    try:
        session.sparkContext.setLogLevel("ERROR")
        if session.sparkContext.getCheckpointDir() is None:
            session.sparkContext.setCheckpointDir(scratch)
        yield session
    finally:
        session.stop()
        shutil.rmtree(scratch, ignore_errors=True)
