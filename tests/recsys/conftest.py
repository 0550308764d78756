"""Shared fixtures: a small model trained on a synthetic low-rank matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import FAST, low_rank_ratings

from recsys import FactorModel, Trainer


@pytest.fixture(scope="session")
def synthetic() -> tuple[pd.DataFrame, np.ndarray]:
    return low_rank_ratings()


@pytest.fixture(scope="session")
def small_model(synthetic: tuple[pd.DataFrame, np.ndarray]) -> FactorModel:
    return Trainer(FAST).fit(synthetic[0])
