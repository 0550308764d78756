"""The movie-night maths on hand-made predictions and a hand-made model: no-misery averages,
relaxing the threshold, exclusions, the "suits best" member, and breaking vote ties."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bot.movienight.maths import GroupPick, suggest, winner
from recsys import FactorModel, UserVector
from recsys.model import FoldInSettings
from recsys.serving import predict_members
from recsys.vocab import Vocabulary

ITEMS = np.array([10, 20, 30, 40, 50, 60, 70])


def test_the_average_without_misery_drops_a_film_someone_would_hate() -> None:
    predictions = np.array(
        [
            # 10   20   30   40   50   60   70
            [5.0, 4.0, 3.5, 3.0, 4.5, 3.2, 3.1],  # member 0
            [1.5, 4.0, 3.5, 3.4, 3.0, 3.3, 3.1],  # member 1 would hate film 10
        ]
    )
    result = suggest(predictions, ITEMS, n=3)
    assert result.threshold == 3.0
    # Film 10 has the second-best average (3.25) but member 1 is predicted 1.5: dropped.
    assert [p.item_id for p in result.picks] == [20, 50, 30]
    assert result.picks[0] == GroupPick(20, 4.0, 0)  # a tie between members: the first one
    assert result.picks[1] == GroupPick(50, 3.75, 0)
    assert 10 not in [p.item_id for p in suggest(predictions, ITEMS, n=6).picks]


def test_the_threshold_relaxes_in_steps_until_enough_films_survive() -> None:
    predictions = np.array(
        [
            [4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0],
            [3.1, 2.6, 2.7, 2.1, 1.2, 2.9, 2.2],
        ]
    )
    # Only film 10 clears 3.0; 2.5 lets 20, 30 and 60 in too; 2.0 adds 40 and 70.
    assert suggest(predictions, ITEMS, n=1).threshold == 3.0
    four = suggest(predictions, ITEMS, n=4)
    assert four.threshold == 2.5
    assert [p.item_id for p in four.picks] == [10, 60, 30, 20]
    five = suggest(predictions, ITEMS, n=5)
    assert five.threshold == 2.0
    assert [p.item_id for p in five.picks] == [10, 60, 30, 20, 70]
    # Seven films need 1.0 (film 50: 1.2, the lowest star a prediction can have). With a
    # higher floor the rule goes altogether, and every film may be picked.
    assert suggest(predictions, ITEMS, n=7).threshold == 1.0
    seven = suggest(predictions, ITEMS, n=7, lowest=1.5)
    assert seven.threshold is None
    assert [p.item_id for p in seven.picks][-1] == 50


def test_films_any_member_rated_or_dismissed_never_appear() -> None:
    predictions = np.array(
        [[5.0, 4.9, 4.8, 4.7, 4.6, 4.5, 4.4], [5.0, 4.9, 4.8, 4.7, 4.6, 4.5, 4.4]]
    )
    excluded = [10, 30]  # one rated by member 0, one dismissed by member 1
    result = suggest(predictions, ITEMS, excluded, n=5)
    assert [p.item_id for p in result.picks] == [20, 40, 50, 60, 70]
    # Exclusions do not count as survivors: the threshold stays put.
    assert result.threshold == 3.0
    assert suggest(predictions, ITEMS, ITEMS).picks == []


def test_unknown_films_and_fewer_films_than_picks() -> None:
    predictions = np.array([[4.0, np.nan, 3.5], [4.5, 4.0, 3.0]])
    result = suggest(predictions, ITEMS[:3], n=5)
    assert [p.item_id for p in result.picks] == [10, 30]  # the NaN film is out
    assert result.threshold == 3.0  # both allowed films survive: no relaxing needed


def test_equal_averages_go_to_the_fairer_film_then_the_lower_id() -> None:
    predictions = np.array([[5.0, 4.0, 4.0, 4.0], [3.0, 4.0, 4.0, 4.0]])
    result = suggest(predictions, np.array([1, 3, 2, 4]), n=4)
    # All average 4.0; 1 has the unhappiest member (3.0), so it comes last.
    assert [p.item_id for p in result.picks] == [2, 3, 4, 1]


def test_suits_best_is_the_member_with_the_highest_prediction() -> None:
    predictions = np.array([[3.5, 4.0], [4.5, 3.8], [4.0, 4.9]])
    result = suggest(predictions, np.array([1, 2]), n=2)
    assert {p.item_id: p.best_for for p in result.picks} == {1: 1, 2: 2}
    assert result.picks[0].score == pytest.approx((4.0 + 3.8 + 4.9) / 3)


def test_a_group_of_one_and_bad_shapes() -> None:
    result = suggest(np.array([[2.0, 4.0, 3.0]]), np.array([1, 2, 3]), n=2)
    assert [p.item_id for p in result.picks] == [2, 3]
    with pytest.raises(ValueError):
        suggest(np.empty((0, 3)), np.array([1, 2, 3]))
    with pytest.raises(ValueError):
        suggest(np.ones((2, 3)), np.array([1, 2]))


def test_the_winner_has_most_votes_and_ties_go_to_the_predicted_score() -> None:
    scores = [4.5, 4.2, 4.0, 3.9, 3.8]
    assert winner([0, 3, 1, 0, 0], scores) == 1
    assert winner([2, 0, 2, 0, 0], scores) == 0  # tie: the higher group score
    assert winner([0, 0, 2, 0, 2], scores) == 2
    assert winner([0, 0, 0, 0, 0], scores) == 0  # nobody voted: the group's top pick
    assert winner([1, 1], [3.0, 3.0]) == 0  # a full tie: the earlier film
    with pytest.raises(ValueError):
        winner([1, 2], [4.0])


def tiny_model() -> FactorModel:
    """Three films, two factors, no neighbour head: stars = 3 + b_i + b_u + q_i · p_u."""
    items = torch.tensor
    return FactorModel(
        items=Vocabulary([1, 2, 3]),
        users=Vocabulary([]),
        global_mean=3.0,
        item_bias=items([0.5, 0.0, -0.5]),
        item_factors=items([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
        implicit_factors=torch.zeros(3, 2),
        user_bias=torch.zeros(0),
        user_factors=torch.zeros(0, 2),
        rank_item_factors=torch.eye(3, 2),
        rank_user_factors=torch.zeros(0, 2),
        item_popularity=items([3.0, 2.0, 1.0]),
        fold_in_settings=FoldInSettings(0.1, 0.1, False, 0.1, 0.01),
    )


def test_predict_members_is_one_row_of_clipped_stars_per_member() -> None:
    model = tiny_model()
    loves_action = UserVector(0.0, np.array([1.0, -1.0], np.float32), np.zeros(2, np.float32))
    loves_drama = UserVector(1.0, np.array([-1.0, 1.5], np.float32), np.zeros(2, np.float32))
    predictions = predict_members(model, [loves_action, loves_drama], np.array([1, 2, 3, 99]))
    assert predictions.shape == (2, 4)
    np.testing.assert_allclose(predictions[0, :3], [4.5, 2.0, 2.5])
    np.testing.assert_allclose(predictions[1, :3], [3.5, 5.0, 4.0])  # 5.5 clipped
    assert np.isnan(predictions[:, 3]).all()  # an unknown film
    assert predict_members(model, [], np.array([1, 2])).shape == (0, 2)
    # Only film 1 clears 3.0 for both; at 2.5 film 3 does too, and film 2 (2.0 for the first
    # member) stays out although its average (3.5) beats film 3's (3.25).
    result = suggest(predictions, np.array([1, 2, 3, 99]), n=2)
    assert result.threshold == 2.5
    assert [(p.item_id, p.best_for) for p in result.picks] == [(1, 0), (3, 1)]
