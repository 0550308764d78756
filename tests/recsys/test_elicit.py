"""Question choice keeps its promises, and on real MovieLens 100k asking adaptively teaches the
model more than asking by popularity or at random."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from synthetic import FAST, low_rank_ratings

from recsys import FactorModel, TrainConfig, Trainer
from recsys.data import Dataset
from recsys.elicit import Elicitor, elicitor_for, next_items
from recsys.elicit_eval import (
    STRATEGIES,
    Ask,
    ask_by_popularity,
    format_elicitation_table,
    run_elicitation_eval,
    simulate,
)


def _by_popularity(model: FactorModel) -> np.ndarray:
    return model.item_ids[np.argsort(-model.item_popularity.numpy(), kind="stable")]


def test_never_returns_an_answered_or_rated_film(small_model: FactorModel) -> None:
    rng = np.random.default_rng(1)
    ids = small_model.item_ids
    for _ in range(20):
        answered = rng.choice(ids, rng.integers(0, len(ids) - 5), replace=False)
        rated = rng.choice(ids, 3, replace=False)  # rated films count even if not "answered"
        picked = next_items(small_model, rated, [4.0, 2.0, 5.0], answered, n=5, rng=rng)
        assert len(picked) == 5
        assert len(set(picked.tolist())) == 5
        assert not set(picked.tolist()) & (set(answered.tolist()) | set(rated.tolist()))
        assert set(picked.tolist()) <= set(ids.tolist())


def test_returns_fewer_when_few_films_are_left(small_model: FactorModel) -> None:
    ids = small_model.item_ids
    picked = next_items(small_model, [], [], ids[2:], n=5, rng=np.random.default_rng(0))
    assert sorted(picked.tolist()) == sorted(ids[:2].tolist())
    assert len(next_items(small_model, [], [], ids, n=3)) == 0
    assert len(next_items(small_model, [], [], [], n=0)) == 0


@pytest.fixture(scope="module")
def skewed_model() -> FactorModel:
    """Trained on ratings where, as in real data, a few films are seen by most users and most
    films by few: film i is seen with probability 0.9·(i+1)^-0.7."""
    ratings, _ = low_rank_ratings(n_users=150, n_items=80, density=1.0, seed=3)
    rng = np.random.default_rng(3)
    rows = (ratings["item_id"].to_numpy() - 7) // 10
    seen = rng.random(len(ratings)) < 0.9 * (rows + 1.0) ** -0.7
    stars = np.clip(np.round(ratings["rating"].to_numpy()), 1, 5).astype(np.float32)
    return Trainer(FAST).fit(ratings.assign(rating=stars)[seen])


def test_cold_start_asks_about_well_known_films(skewed_model: FactorModel) -> None:
    picked = next_items(skewed_model, [], [], [], n=8, rng=np.random.default_rng(0))
    # The fixture's films seen most often: ids 7, 17, 27... (row r seen with 0.9·(r+1)^-0.7).
    known = {7 + 10 * row for row in range(skewed_model.n_items // 4)}
    assert set(picked.tolist()) <= known


def test_respects_candidates(small_model: FactorModel) -> None:
    ids = small_model.item_ids
    candidates = ids[::4]
    picked = next_items(
        small_model,
        [],
        [],
        candidates[:3],
        n=6,
        candidates=candidates,
        rng=np.random.default_rng(0),
    )
    assert len(picked) == 6
    assert set(picked.tolist()) <= set(candidates[3:].tolist())
    assert len(next_items(small_model, [], [], candidates, candidates=candidates)) == 0
    assert len(next_items(small_model, [], [], [], candidates=[999_999])) == 0


def test_excluded_films_are_never_asked_and_say_nothing_about_the_user(
    small_model: FactorModel,
) -> None:
    calm = Elicitor(small_model, temperature=0.0)
    first = calm.next_items([], [], [], n=6)
    picked = calm.next_items([], [], [], n=4, exclude=first[:2])
    # Ruled out, not answered "haven't seen": the rest keep their order.
    assert picked.tolist() == first[2:].tolist()


def test_unknown_ids_are_ignored(small_model: FactorModel) -> None:
    picked = next_items(small_model, [999_999], [5.0], [999_998], n=3, rng=np.random.default_rng(0))
    assert len(picked) == 3
    with pytest.raises(ValueError, match="same length"):
        next_items(small_model, [7, 17], [5.0], [])


def test_a_seeded_rng_repeats_and_different_seeds_vary(small_model: FactorModel) -> None:
    def batch(seed: int) -> list[int]:
        rng = np.random.default_rng(seed)
        return next_items(small_model, [7], [5.0], [7, 17], n=5, rng=rng).tolist()

    assert batch(3) == batch(3)
    assert len({tuple(batch(seed)) for seed in range(12)}) > 1


def test_answers_personalise_the_questions(small_model: FactorModel) -> None:
    """Once answers exist the choice is no longer the popularity order, and two users with
    opposite answers are asked different things."""
    ids = _by_popularity(small_model)
    answered = ids[:6]
    order = [i for i in ids.tolist() if i not in set(answered.tolist())]
    calm = Elicitor(small_model, temperature=0.0)
    fan = calm.next_items(answered[:3], [5.0, 5.0, 5.0], answered, n=5).tolist()
    hater = calm.next_items(answered[3:], [5.0, 5.0, 5.0], answered, n=5).tolist()
    assert fan != order[:5]
    assert fan != hater


def test_the_elicitor_is_built_once_per_model(small_model: FactorModel) -> None:
    assert elicitor_for(small_model) is elicitor_for(small_model)


def test_simulation_reports_every_strategy(small_model: FactorModel) -> None:
    ratings, _ = low_rank_ratings(n_users=12, n_items=60, seed=5)
    result = simulate(small_model, ratings, questions=(0, 2, 4))
    assert result["users"] == 12
    assert set(result["strategies"]) == {"adaptive", "popularity", "random"}
    for rows in result["strategies"].values():
        assert [r["questions"] for r in rows] == [0, 2, 4]
        assert all(np.isfinite(r["ndcg@10"]) and np.isfinite(r["rmse"]) for r in rows)
        assert rows[0]["rated"] == 0 and rows[-1]["rated"] <= 4
    table = format_elicitation_table(result)
    assert "| adaptive |" in table and "NDCG@10 after 4" in table


def test_popularity_order_asks_the_best_known_first(small_model: FactorModel) -> None:
    ask = ask_by_popularity(small_model)
    ids = _by_popularity(small_model)
    empty = np.empty(0)
    none = empty.astype(np.int64)
    assert ask(none, empty, ids[:2], none, np.random.default_rng(0)) == ids[2]
    assert ask(none, empty, ids[:2], ids[2:4], np.random.default_rng(0)) == ids[4]


def test_with_a_held_out_share_no_strategy_asks_about_the_films_it_is_scored_on(
    small_model: FactorModel,
) -> None:
    # Asking about a film the user has seen takes it out of their test: scored on what they
    # were not asked, a strategy that finds nothing seen keeps every easy hit. Held out, every
    # strategy is scored on the same films, and none may ask about them.
    ratings, _ = low_rank_ratings(n_users=12, n_items=60, seed=5)
    asked: dict[str, list[tuple[int, int]]] = {}

    def spying(name: str, make: Callable[[FactorModel], Ask]) -> Callable[[FactorModel], Ask]:
        def build(model: FactorModel) -> Ask:
            ask = make(model)

            def spy(*args: Any) -> int | None:
                item = ask(*args)
                if item is not None:
                    asked.setdefault(name, []).append((item, len(args[3])))
                    assert item not in set(args[3].tolist()), (name, item)
                return item

            return spy

        return build

    strategies = {name: spying(name, make) for name, make in STRATEGIES.items()}
    result = simulate(small_model, ratings, (0, 6), strategies=strategies, held_out=0.4)
    assert result["held_out"] == 0.4 and set(asked) == set(STRATEGIES)
    assert all(blocked > 0 for pairs in asked.values() for _, blocked in pairs)
    scored_alike = {rows[0]["ndcg@10"] for rows in result["strategies"].values()}
    assert len(scored_alike) == 1  # before any question every strategy sees the same test
    with pytest.raises(ValueError):
        simulate(small_model, ratings, (2,), held_out=1.0)


def test_evaluation_on_synthetic_data_runs_end_to_end() -> None:
    ratings, _ = low_rank_ratings(n_users=50, n_items=40, seed=2)
    result = run_elicitation_eval(ratings, questions=(3, 6), config=FAST)
    assert result["users"] == 10
    assert result["seconds"]["train"] >= 0
    with pytest.raises(ValueError):
        run_elicitation_eval(ratings, questions=())


def test_adaptive_questions_beat_popularity_and_random_on_movielens(movielens: Dataset) -> None:
    # Held out: every strategy is scored on the same 30% of each user's films, never asked
    # (scored on whatever was not asked, a strategy that finds nothing seen keeps every easy
    # hit, and asking at random "won").
    dataset = movielens
    # A quicker model than the default one: the bar is about questions, not training.
    quick = TrainConfig(validation_share=0.0, epochs=15, rank_sweeps=8, neighbours=0)
    result = run_elicitation_eval(
        dataset.ratings, dataset.catalog, questions=(10,), config=quick, held_out=0.3
    )
    ndcg = {name: rows[0]["ndcg@10"] for name, rows in result["strategies"].items()}
    assert ndcg["adaptive"] > 1.05 * ndcg["popularity"], ndcg
    assert ndcg["adaptive"] > 1.5 * ndcg["random"], ndcg
    # Only a rating teaches the served fold-in: more films known than the best-known ones.
    rated = {name: rows[0]["rated"] for name, rows in result["strategies"].items()}
    assert rated["adaptive"] > rated["popularity"], rated
    assert len(result["first_questions"]["adaptive"]) == 10


def test_answers_move_the_chance_of_having_seen_similar_films(small_model: FactorModel) -> None:
    elicitor = Elicitor(small_model)
    film = int(small_model.item_ids[0])
    similar, _ = small_model.similar_items(film, n=3)
    rows = small_model.items.rows(similar)
    cold = elicitor.seen_probability([], [], [])
    fan = elicitor.seen_probability([film], [5.0], [])
    stranger = elicitor.seen_probability([], [], [film])
    assert cold.shape == (small_model.n_items,)
    assert np.all((cold > 0) & (cold < 1))
    assert np.all(fan[rows] > cold[rows])
    assert np.all(stranger[rows] < cold[rows])


def test_the_cache_does_not_keep_a_replaced_model_alive(small_model: FactorModel) -> None:
    model = replace(small_model)
    alive = weakref.ref(model)
    elicitor = elicitor_for(model)
    assert elicitor_for(model) is elicitor
    del model
    gc.collect()
    assert alive() is None, "the cache kept the model alive"
