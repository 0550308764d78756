"""The real MovieLens 100k, as `python -m recsys fetch ml-100k` leaves it in the data folder."""

from __future__ import annotations

import pytest

from recsys.data import Dataset


@pytest.fixture
def ml100k(movielens: Dataset) -> Dataset:
    return movielens


def test_has_the_published_counts(ml100k: Dataset) -> None:
    assert len(ml100k.ratings) == 100_000
    assert ml100k.n_users == 943
    assert ml100k.n_items == 1_682
    assert len(ml100k.catalog) == 1_682


def test_item_one_is_toy_story(ml100k: Dataset) -> None:
    assert (ml100k.catalog.title(1), ml100k.catalog.year(1)) == ("Toy Story", 1995)
    assert "Animation" in ml100k.catalog.genres(1)


def test_ratings_are_whole_stars(ml100k: Dataset) -> None:
    stars = ml100k.ratings["rating"]
    assert stars.min() == 1 and stars.max() == 5
    assert (stars == stars.round()).all()


def test_every_rated_film_is_in_the_catalogue(ml100k: Dataset) -> None:
    assert ml100k.ratings["item_id"].isin(ml100k.catalog.frame.index).all()
