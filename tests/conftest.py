"""Puts the repository root on sys.path, so tests import ``tests.fakebotapi`` and the real
``bot`` package: pytest adds this folder (tests/) to sys.path because of this file, and
without the root there as well ``import bot`` would find tests/bot/ as a namespace package."""

import os
import sys
from pathlib import Path

import pytest
import torch

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from recsys import TrainConfig, Trainer  # noqa: E402
from recsys.data import Dataset, default_data_dir, fetch, load_dataset  # noqa: E402

# PTB 22.8 warns while building RetryAfter unless this is set, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "1")
# Tests train small models: one thread avoids oversubscribing the 2 cores (small products
# ran 10-80x slower with threads fighting), and results do not depend on the thread count.
torch.set_num_threads(1)


# Small and quick, yet a real model of real MovieLens 100k: what the bot's tests serve.
QUICK = TrainConfig(factors=16, rank_factors=32, epochs=12, rank_sweeps=6, neighbours=20)


@pytest.fixture(scope="session")
def movielens() -> Dataset:
    """The real MovieLens 100k, fetched first when it is missing: `make test` fetches it
    beforehand, and a bare `pytest` does the same rather than skip the tests that need it."""
    fetch("ml-100k", default_data_dir(), log=lambda _: None)
    return load_dataset("ml-100k")


@pytest.fixture(scope="session")
def ml100k_model_file(movielens: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The QUICK model trained on all of MovieLens 100k, once per test session: the bot's
    unit tests load it and the end-to-end tests hand its file to the bot process."""
    path = tmp_path_factory.mktemp("model") / "model.safetensors"
    Trainer(QUICK).fit(movielens.ratings).save(path)
    return path


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    """One local Spark session for the whole test run (a JVM start costs seconds).

    Skipped where pyspark or Java 17 is missing, unless MOVIEBOT_REQUIRE_SPARK is set, as
    `make test` does after installing them: there a missing engine must fail, not skip.
    """
    from recsys.spark.availability import missing

    needs = missing()
    if needs:
        if os.environ.get("MOVIEBOT_REQUIRE_SPARK"):
            pytest.fail("the Spark engine cannot run: " + "; ".join(needs))
        pytest.skip("the Spark engine is not installed: " + "; ".join(needs))
    from recsys.spark.session import spark_session

    conf = {"spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2"}
    with spark_session("local[2]", "1g", conf, app_name="moviebot-tests") as session:
        yield session
