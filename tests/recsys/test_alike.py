"""Similar films as served, on the real MovieLens 100k: recognisably alike (issue 15.6)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from recsys import FactorModel
from recsys.alike import NEAR, Alike
from recsys.data import Dataset
from recsys.similarity import MIN_SUPPORT, SimilarFilms

TOY_STORY, TITANIC = 1, 313


@pytest.fixture(scope="module")
def model(ml100k_model_file: Path) -> FactorModel:
    return FactorModel.load(ml100k_model_file)


@pytest.mark.parametrize("trained_lists", [True, False])
def test_toy_story_is_like_animated_and_childrens_films(
    model: FactorModel, movielens: Dataset, trained_lists: bool
) -> None:
    served = model if trained_lists else replace(model, similar=None)
    ids, scores = Alike(served, movielens.catalog).similar(TOY_STORY, 10)
    genres = [set(movielens.catalog.genres(int(i))) for i in ids]
    assert len(ids) == 10 and TOY_STORY not in ids.tolist()
    assert list(scores) == sorted(scores, reverse=True)
    # Before: Willy Wonka, Mr. Holland's Opus, Star Wars, The Rock... not one animated film.
    assert sum(bool(g & {"Animation", "Children's"}) for g in genres) >= 3


@pytest.mark.parametrize("trained_lists", [True, False])
def test_titanics_neighbours_are_not_its_release_year(
    model: FactorModel, movielens: Dataset, trained_lists: bool
) -> None:
    served = model if trained_lists else replace(model, similar=None)
    ids, _ = Alike(served, movielens.catalog).similar(TITANIC, 10)
    years = [movielens.catalog.year(int(i)) for i in ids]
    # Before: ten films of 1997 and 1998, Scream 2 among them.
    assert sum(year in (1997, 1998) for year in years) <= 4
    genres = [set(movielens.catalog.genres(int(i))) for i in ids]
    assert sum(bool(g & {"Drama", "Romance"}) for g in genres) >= 6


@pytest.mark.parametrize("trained_lists", [True, False])
def test_a_film_too_few_people_rated_is_like_nothing_yet(
    model: FactorModel, movielens: Dataset, trained_lists: bool
) -> None:
    # /similar on a film one person rated listed that person's other obscure films.
    served = model if trained_lists else replace(model, similar=None)
    counts = served.item_rating_counts
    assert counts is not None
    rare = [int(i) for i, n in zip(served.item_ids, counts, strict=True) if n < MIN_SUPPORT]
    assert rare  # ml-100k has films rated once or twice
    alike = Alike(served, movielens.catalog)
    for item in rare[:20]:
        assert len(alike.similar(item, 10)[0]) == 0
        assert len(alike.near(item)) == 0
    assert len(alike.near_many([rare[0], TOY_STORY])[TOY_STORY]) == NEAR


def test_an_unknown_film_is_a_key_error(model: FactorModel, movielens: Dataset) -> None:
    alike = Alike(model, movielens.catalog)
    with pytest.raises(KeyError):
        alike.similar(99_999)
    assert len(alike.near(99_999)) == 0


def test_a_page_looked_up_together_gets_each_films_own_neighbours(
    model: FactorModel, movielens: Dataset
) -> None:
    """Films with and without a trained list in one page: the batched fallback (one product
    for the page) must hand each film its own neighbours, never another's, never itself."""
    assert model.similar is not None
    rows, scores = model.similar.rows.copy(), model.similar.scores.copy()
    page = model.item_ids[:12].tolist()
    for item in page[::2]:  # half the page loses its list and falls back to factors
        rows[model.items.row(item)] = -1
    alike = Alike(replace(model, similar=SimilarFilms(rows, scores)), movielens.catalog)

    nearest = alike.near_many([*page, 99_999])

    assert len(nearest[99_999]) == 0
    for item in page:
        assert item not in nearest[item].tolist()
        assert nearest[item].tolist() == alike.similar(item, NEAR)[0].tolist()
    assert len({tuple(nearest[item].tolist()) for item in page}) == len(page)
