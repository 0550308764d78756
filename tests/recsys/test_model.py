"""The served model: fold-in maths, ranking, fallbacks and the file format."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

from recsys import FactorModel
from recsys.als import biased_half_step, wmf_half_step
from recsys.model import FOLD_IN_PRIOR
from recsys.solve import RowMatrix


def test_fold_in_is_one_als_half_step(small_model: FactorModel) -> None:
    m = small_model
    items = m.item_ids[[0, 3, 5, 8, 13]]
    stars = np.array([5.0, 3.5, 1.0, 4.0, 2.5], np.float32)
    vector = m.fold_in(items, stars)

    rows = m.items.rows(items)
    one_row = RowMatrix(np.array([0, len(rows)]), rows, stars)
    s = m.fold_in_settings
    # The star head: fold-in subtracts the implicit term, then solves bias and factors.
    implicit = m.implicit_factors[rows].sum(0) / np.sqrt(len(rows))
    shifted = RowMatrix(one_row.indptr, rows, stars - (m.item_factors[rows] @ implicit).numpy())
    bias, factors = biased_half_step(
        m.item_factors, m.item_bias, shifted, m.global_mean, s.star_reg_factors, s.star_reg_bias
    )
    assert vector.star_bias == pytest.approx(float(bias[0]), abs=1e-4)
    np.testing.assert_allclose(vector.star_factors, (factors[0] + implicit).numpy(), atol=1e-4)
    # The rank head: weighted MF against the fixed item factors, with the user's prior mean
    # part of the way to the average trained user instead of at 0.
    average = FOLD_IN_PRIOR * m.rank_user_factors.double().mean(0)
    v, w0 = m.rank_item_factors.double(), s.rank_unobserved_weight
    gram = w0 * v.T @ v + (1 - w0) * v[rows].T @ v[rows] + s.rank_reg * torch.eye(v.shape[1])
    rhs = v[rows].T @ torch.from_numpy(stars).double() + s.rank_reg * average
    expected = torch.linalg.solve(gram, rhs)
    np.testing.assert_allclose(vector.rank_factors, expected.numpy(), atol=1e-4)
    zero_prior = wmf_half_step(m.rank_item_factors, one_row, w0, s.rank_reg)[0].numpy()
    assert not np.allclose(vector.rank_factors, zero_prior, atol=1e-3)


def test_predict_clips_to_the_scale_and_marks_unknown_items(small_model: FactorModel) -> None:
    m = small_model
    vector = m.fold_in(m.item_ids[:6], [5, 5, 5, 5, 5, 5])
    stars = m.predict(vector, [*m.item_ids[:10].tolist(), 999_999])
    low, high = m.rating_scale
    assert np.all((stars[:-1] >= low) & (stars[:-1] <= high))
    assert np.isnan(stars[-1])


def test_unknown_items_are_skipped_with_a_warning(small_model, caplog) -> None:
    m = small_model
    with caplog.at_level(logging.WARNING):
        with_unknown = m.fold_in([*m.item_ids[:3].tolist(), 424242], [4, 2, 5, 1])
    assert "unknown" in caplog.text
    without = m.fold_in(m.item_ids[:3], [4, 2, 5])
    np.testing.assert_allclose(with_unknown.rank_factors, without.rank_factors)


def test_unknown_user_falls_back_to_biases_and_popularity(small_model: FactorModel) -> None:
    m = small_model
    stars = m.predict(10**9, m.item_ids[:5])
    rows = m.items.rows(m.item_ids[:5])
    expected = np.clip(m.global_mean + m.item_bias.numpy()[rows], *m.rating_scale)
    np.testing.assert_allclose(stars, expected, rtol=1e-6)
    top, _ = m.recommend(None, n=3)
    by_popularity = m.item_ids[np.argsort(-m.item_popularity.numpy(), kind="stable")[:3]]
    assert set(top) == set(by_popularity)


def test_recommend_excludes_filters_and_sorts(small_model: FactorModel) -> None:
    m = small_model
    user = int(m.users.ids[0])
    exclude = m.item_ids[:20]
    ids, scores = m.recommend(user, n=10, exclude=exclude)
    assert not set(ids) & set(exclude)
    assert np.all(np.diff(scores) <= 0)
    candidates = m.item_ids[10:16]
    ids, _ = m.recommend(user, n=10, exclude=m.item_ids[:12], candidates=candidates)
    assert set(ids) == set(candidates[2:])


def test_similar_items_excludes_itself_and_is_sorted(small_model: FactorModel) -> None:
    item = int(small_model.item_ids[4])
    ids, scores = small_model.similar_items(item, n=5)
    assert item not in ids and len(ids) == 5
    assert np.all(np.diff(scores) <= 0) and scores[0] <= 1.0 + 1e-6
    with pytest.raises(KeyError):
        small_model.similar_items(-1)


def test_save_load_round_trip(small_model: FactorModel, tmp_path) -> None:
    path = tmp_path / "models" / "m.safetensors"
    small_model.save(path)
    loaded = FactorModel.load(path)
    assert list(tmp_path.joinpath("models").iterdir()) == [path], "no temp file left behind"
    vector = small_model.fold_in(small_model.item_ids[:4], [1, 2, 4, 5])
    np.testing.assert_array_equal(
        loaded.predict(vector, loaded.item_ids), small_model.predict(vector, small_model.item_ids)
    )
    assert torch.equal(loaded.rank_item_factors, small_model.rank_item_factors)
    assert loaded.metadata["data_fingerprint"] == small_model.metadata["data_fingerprint"]
    assert loaded.metadata["history"] == small_model.metadata["history"]
    assert loaded.fold_in_settings == small_model.fold_in_settings


def test_a_corrupt_file_is_refused_and_a_failed_save_keeps_the_old_file(
    small_model: FactorModel, tmp_path, monkeypatch
) -> None:
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(ValueError, match="not a moviebot model"):
        FactorModel.load(bad)

    good = tmp_path / "good.safetensors"
    small_model.save(good)
    before = good.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("recsys.model_file.save_file", crash)
    with pytest.raises(OSError):
        small_model.save(good)
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors", "good.safetensors"]


def test_a_model_is_immutable_and_metadata_is_added_through_a_copy(
    small_model: FactorModel, tmp_path
) -> None:
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        small_model.global_mean = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        small_model.metadata["holdout_share"] = 0.1  # type: ignore[index]
    tagged = small_model.with_metadata(holdout_share=0.1)
    assert tagged.metadata["holdout_share"] == 0.1
    assert "holdout_share" not in small_model.metadata
    assert tagged.metadata["history"] == small_model.metadata["history"]
    assert tagged.item_factors is small_model.item_factors  # a copy of the header, not tensors
    tagged.save(tmp_path / "m.safetensors")
    assert FactorModel.load(tmp_path / "m.safetensors").metadata["holdout_share"] == 0.1


def test_a_blend_saved_before_the_taste_weight_reads_with_taste_zero() -> None:
    from recsys.blend import Blend

    assert Blend.from_list([0.1, 0.8, 0.2]) == Blend(0.1, 0.8, 0.2, 0.0)
    blend = Blend(0.5, 0.5, 0.25, 2.0)
    assert Blend.from_list(blend.to_list()) == blend
    star, other, taste = np.array([4.0]), np.array([2.0]), np.array([0.25])
    assert blend.apply(star, other, taste) == pytest.approx([0.5 + 2.0 + 0.5 + 0.5])


def test_a_trained_user_asked_by_id_gets_the_evaluated_blended_stars(tmp_path) -> None:
    import dataclasses

    import pandas as pd
    from synthetic import FAST, low_rank_ratings

    from recsys import Trainer
    from recsys.baselines import ModelScorer
    from recsys.evaluate import kfold_splits

    frame, _ = low_rank_ratings(n_users=120, n_items=80, density=0.4)
    noisy = frame.assign(
        rating=frame["rating"] + np.random.default_rng(0).normal(0, 0.5, len(frame))
    )
    train, test = next(kfold_splits(noisy, 5, seed=0))
    model = Trainer(dataclasses.replace(FAST, validation_share=0.2)).fit(train)
    assert model.neighbours is not None and model.blend.neighbours != 0
    evaluated = ModelScorer(model, history=train).predict_pairs(
        test["user_id"].to_numpy(), test["item_id"].to_numpy()
    )
    model.save(tmp_path / "m.safetensors")
    loaded = FactorModel.load(tmp_path / "m.safetensors")
    by_id = np.empty(len(test), np.float32)
    for user, group in pd.DataFrame(test).reset_index(drop=True).groupby("user_id"):
        by_id[group.index.to_numpy()] = loaded.predict(int(user), group["item_id"].to_numpy())
    np.testing.assert_allclose(by_id, evaluated, atol=1e-5)
    star_head_alone = ModelScorer(dataclasses.replace(model, neighbours=None, rated=None))
    assert not np.allclose(
        star_head_alone.predict_pairs(test["user_id"].to_numpy(), test["item_id"].to_numpy()),
        evaluated,
        atol=1e-3,
    )


def test_every_film_at_once_is_predicted_as_film_by_film() -> None:
    # predict takes views, not copies, when asked about every film in row order (a movie
    # night over the whole catalogue); the neighbour head skips films with no neighbour.
    import dataclasses

    from synthetic import FAST, low_rank_ratings

    from recsys import Trainer

    frame, _ = low_rank_ratings(n_users=120, n_items=80, density=0.4)
    config = dataclasses.replace(FAST, validation_share=0.2, neighbour_max_items=30)
    model = Trainer(config).fit(frame)
    assert model.neighbours is not None and model.blend.neighbours != 0
    vector = model.fold_in(model.item_ids[:6], np.array([5.0, 1.0, 4.0, 2.0, 3.5, 4.5]))
    every = model.predict(vector, model.item_ids)
    one_by_one = np.concatenate([model.predict(vector, [i]) for i in model.item_ids])
    np.testing.assert_allclose(every, one_by_one, atol=1e-5)
    backwards = model.predict(vector, model.item_ids[::-1])
    np.testing.assert_allclose(backwards[::-1], every, atol=1e-5)
