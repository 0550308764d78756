"""TrainConfig refuses a setting out of its range, wherever it comes from."""

from __future__ import annotations

import math
from dataclasses import fields

import pytest

from recsys import TrainConfig
from recsys.config import _RANGES


def test_every_numeric_setting_has_a_range() -> None:
    numeric = {
        f.name for f in fields(TrainConfig) if type(getattr(TrainConfig(), f.name)) in (int, float)
    }
    assert set(_RANGES) == numeric


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("factors", 0),
        ("epochs", -3),
        ("rank_unobserved_weight", 1.5),
        ("learning_rate", 0.0),
        ("reg_factors", math.nan),
        ("validation_share", 1.0),
        ("seed", -1),
    ],
)
def test_a_setting_out_of_range_is_a_value_error_naming_it(setting: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"^{setting} must be "):
        TrainConfig(**{setting: value})


def test_the_presets_are_in_range() -> None:
    TrainConfig()
    TrainConfig.for_scale()
