"""Vocabulary: the fast paths for dense ids agree with a plain sorted search."""

from __future__ import annotations

import numpy as np
import pytest

from recsys.vocab import Vocabulary


@pytest.mark.parametrize(
    "ids",
    [
        np.array([5, 3, 3, 9, 5, 200]),  # dense: presence marks and a lookup table
        np.array([-4, 0, 7, -4]),  # negative ids
        np.array([1, 10**12, 5 * 10**11, 1]),  # sparse, Telegram-like: sorted search
        np.array([], dtype=np.int64),
    ],
)
def test_rows_agree_with_a_sorted_search(ids: np.ndarray) -> None:
    vocabulary = Vocabulary(ids)
    np.testing.assert_array_equal(vocabulary.ids, np.unique(ids))
    assert vocabulary.ids.dtype == np.int64
    queries = np.concatenate([ids, [-(2**62), -5, 2, 4, 201, 10**12 + 1, 2**62]]).astype(np.int64)
    expected = np.array([np.searchsorted(vocabulary.ids, q) if q in ids else -1 for q in queries])
    got = vocabulary.rows(queries)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64
    assert [vocabulary.row(int(q)) for q in queries] == [r if r >= 0 else None for r in expected]


def test_rows_of_a_list() -> None:
    assert Vocabulary([30, 10, 20]).rows([20, 40]).tolist() == [1, -1]
