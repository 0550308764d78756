"""A film the model never saw is expected to be rated like the rarely rated films."""

from __future__ import annotations

import numpy as np
import pandas as pd
from synthetic import FAST, low_rank_ratings

from recsys import FactorModel, Trainer
from recsys.baselines import ModelScorer


def test_unseen_films_get_the_stars_of_rarely_rated_films(tmp_path) -> None:
    frame, _ = low_rank_ratings()
    # Three obscure films, each rated once or twice and badly.
    obscure = pd.DataFrame(
        {
            "user_id": [1, 2, 3, 4, 5],
            "item_id": [9001, 9001, 9002, 9003, 9003],
            "rating": np.float32([1.0, 2.0, 1.0, 2.0, 1.0]),
            "timestamp": np.arange(5),
        }
    )
    model = Trainer(FAST).fit(pd.concat([frame, obscure]))
    assert model.unseen_stars == np.float32(1.4)
    assert model.unseen_stars < model.global_mean - 1
    model.save(tmp_path / "m.safetensors")
    loaded = FactorModel.load(tmp_path / "m.safetensors")
    assert loaded.unseen_stars == model.unseen_stars
    # predict keeps saying NaN for a film it does not know; evaluation scores it as unseen.
    assert np.isnan(loaded.predict(1, [123456]))[0]
    for history in (None, frame):
        stars = ModelScorer(loaded, history=history).predict_pairs(
            np.array([1]), np.array([123456])
        )
        assert stars[0] == np.float32(1.4)
