"""The blend of heads, with weights that move with how many ratings a user and a film have."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.blend import Blend


def test_support_terms_learn_that_one_head_is_right_for_heavy_users_and_another_for_light() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    truth = rng.normal(3.5, 1.0, n)
    users = np.exp(rng.uniform(1, 6, n))  # 3 to 400 ratings
    items = np.exp(rng.uniform(1, 6, n))
    heavy = users > np.median(users)
    # The star head is exact for heavy users and noise for light ones; the Bayesian head the
    # other way round.
    star = np.where(heavy, truth, truth + rng.normal(0, 1.5, n))
    bayes = np.where(heavy, truth + rng.normal(0, 1.5, n), truth)
    taste = rng.normal(0, 1, n)

    def error(blend: Blend, support: tuple[np.ndarray, np.ndarray] | None) -> float:
        predicted = blend.apply(star, None, taste, bayes, support)
        return float(np.sqrt(np.mean((predicted - truth) ** 2)))

    plain = Blend.fit(star, None, taste, truth, bayes)
    aware = Blend.fit(star, None, taste, truth, bayes, (users, items))
    assert aware.has_support and not plain.has_support
    assert error(aware, (users, items)) < 0.8 * error(plain, None)
    # Stored as a flat list of numbers in the file header, read back the same.
    assert Blend.from_list(aware.to_list()) == aware
    with pytest.raises(AssertionError, match="rating counts"):
        aware.apply(star, None, taste, bayes)


def test_blends_from_older_files_read_with_the_missing_weights_zero() -> None:
    assert Blend.from_list([0.1, 0.8, 0.2, 0.3]) == Blend(0.1, 0.8, 0.2, 0.3, 0.0)
    assert not Blend.from_list([0.1, 0.8, 0.2]).has_support
    with pytest.raises(ValueError, match="numbers"):
        Blend.from_list([0.0] * 7)
