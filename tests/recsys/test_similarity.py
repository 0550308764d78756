"""Co-rating similarity: the formula, the cap on films, and the model file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys import FactorModel, similarity
from recsys.interactions import Interactions
from recsys.similarity import fit_similar


def ratings(seed: int = 0) -> Interactions:
    """60 users, 30 films with very different numbers of raters."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, 31)
    frames = [
        pd.DataFrame(
            {
                "user_id": user,
                "item_id": rng.choice(30, 12, replace=False, p=popularity / popularity.sum()),
                "rating": rng.integers(1, 6, 12) * 1.0,
            }
        )
        for user in range(60)
    ]
    return Interactions.from_frame(pd.concat(frames))


def brute_force(train: Interactions, shrinkage: float, min_support: int) -> np.ndarray:
    """Shrunk adjusted cosine of every pair of films, written out densely; 0 for pairs with
    fewer than ``min_support`` co-raters."""
    dense = np.zeros((train.n_users, train.n_items))
    rated = np.zeros_like(dense)
    dense[train.user_rows, train.item_rows] = train.ratings
    rated[train.user_rows, train.item_rows] = 1.0
    mean = dense.sum(1) / np.maximum(rated.sum(1), 1)
    centred = (dense - mean[:, None]) * rated
    norms = np.linalg.norm(centred, axis=0)
    common = rated.T @ rated
    similarity = (centred.T @ centred) / np.outer(norms, norms) * common / (common + shrinkage)
    similarity[common < min_support] = 0.0
    np.fill_diagonal(similarity, -np.inf)
    return similarity


@pytest.mark.parametrize("chunk", [512, 7])  # one block, and blocks that meet each other
def test_lists_are_the_most_similar_films_by_the_formula(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(similarity, "_CHUNK", chunk)
    train = ratings()
    expected = brute_force(train, 5.0, similarity.MIN_SUPPORT)
    found = fit_similar(train, k=6, shrinkage=5.0)
    for row in range(train.n_items):
        rows, scores = found.of(row)
        want = np.sort(expected[row])[::-1][:6]
        want = want[want > 0]  # films rated oppositely are never "alike"
        np.testing.assert_allclose(scores, want, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(expected[row, rows], scores, rtol=1e-4, atol=1e-6)
        assert row not in rows


def test_films_with_too_few_co_raters_are_not_called_alike() -> None:
    # A film one person rated was "like" every other film that person rated the same way:
    # /similar on it listed that one person's other films.
    train = ratings()
    rated = np.zeros((train.n_users, train.n_items))
    rated[train.user_rows, train.item_rows] = 1.0
    common = rated.T @ rated
    found = fit_similar(train, k=10, shrinkage=5.0, min_support=4)
    assert any(len(found.of(row)[0]) for row in range(train.n_items))
    for row in range(train.n_items):
        rows, _ = found.of(row)
        assert (common[row, rows] >= 4).all()
    rare = Interactions.from_frame(
        pd.DataFrame(
            {
                "user_id": [0, 0, 0, 1, 1, 2, 2],
                "item_id": [0, 1, 2, 1, 2, 1, 2],
                "rating": [5.0, 5.0, 1.0, 4.0, 2.0, 5.0, 1.0],
            }
        )
    )
    alike = fit_similar(rare, k=2, shrinkage=1.0)
    assert len(alike.of(rare.items.row(0))[0]) == 0  # film 0: one rater, no list


def test_only_the_most_rated_films_get_lists_among_themselves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(similarity, "_CHUNK", 3)
    train = ratings(1)
    counts = np.bincount(train.item_rows, minlength=train.n_items)
    top = set(np.argsort(-counts, kind="stable")[:10].tolist())
    similar = fit_similar(train, k=5, shrinkage=5.0, max_items=10)
    for row in range(train.n_items):
        rows, _ = similar.of(row)
        if row in top:
            assert len(rows) > 0 and set(rows.tolist()) <= top - {row}
        else:
            assert len(rows) == 0


def test_fewer_films_than_k_leave_the_rest_of_each_list_empty() -> None:
    train = ratings()
    found = fit_similar(train, k=train.n_items + 5, shrinkage=5.0)
    assert found.rows.shape == (train.n_items, train.n_items + 5)
    assert (found.rows[:, train.n_items - 1 :] == -1).all()
    assert len(found.of(0)[0]) > 0


def test_the_model_file_keeps_the_lists(small_model: FactorModel, tmp_path: Path) -> None:
    assert small_model.similar is not None
    small_model.save(tmp_path / "m.safetensors")
    loaded = FactorModel.load(tmp_path / "m.safetensors")
    assert loaded.similar is not None
    np.testing.assert_array_equal(loaded.similar.rows, small_model.similar.rows)
    np.testing.assert_array_equal(loaded.similar.scores, small_model.similar.scores)
    replace(small_model, similar=None).save(tmp_path / "old.safetensors")
    assert FactorModel.load(tmp_path / "old.safetensors").similar is None
