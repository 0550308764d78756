"""Every figure renders to a real PNG and carries the titles, labels and legends that make it
readable."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from synthetic import FAST, low_rank_ratings

from recsys import FactorModel, Trainer
from recsys.data import Catalog
from recsys.filmmap import (
    build_item_map,
    build_user_map,
    item_coordinates,
    plot_item_map,
    plot_user_map,
)
from recsys.plots import (
    build_elicitation,
    build_learning_curve,
    build_ratings_histogram,
    plot_elicitation,
    plot_learning_curve,
    plot_ratings_histogram,
    write_plots,
)

GENRES = ["Drama", "Comedy", "Action", "Horror", "Sci-Fi"]


@pytest.fixture(scope="module")
def catalog(small_model: FactorModel) -> Catalog:
    """Titles, years and genres for the synthetic model's films; one film has no genre."""
    ids = small_model.item_ids
    return Catalog.from_columns(
        ids,
        [f"Synthetic Film Number {i}" for i in ids],
        [1950 + i % 60 for i in range(len(ids))],
        [() if i == 0 else (GENRES[i % len(GENRES)], "Drama") for i in range(len(ids))],
    )


@pytest.fixture(scope="module")
def validated_model() -> FactorModel:
    """A model trained with a validation share, so its history has validation curves."""
    ratings, _ = low_rank_ratings(n_users=40, n_items=30, seed=4)
    return Trainer(replace(FAST, validation_share=0.2, epochs=8, rank_sweeps=4)).fit(ratings)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _texts(figure: Figure) -> set[str]:
    """Every piece of text on the figure: titles, axis labels, legends, annotations."""
    return {t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text"))} - {""}


def _legend_labels(figure: Figure) -> list[str]:
    return [
        text.get_text()
        for ax in figure.axes
        if ax.get_legend() is not None
        for text in ax.get_legend().get_texts()
    ]


def test_learning_curve_shows_both_heads(validated_model: FactorModel, tmp_path: Path) -> None:
    figure = build_learning_curve(validated_model)
    star, rank = figure.axes
    assert figure.get_suptitle() == "Learning curves"
    assert star.get_title() == "Star head: rating error"
    assert rank.get_title() == "Rank head: ranking quality"
    assert star.get_xlabel() == rank.get_xlabel() == "epoch"
    assert star.get_ylabel() == "RMSE (stars)" and rank.get_ylabel() == "NDCG@10"
    labels = _legend_labels(figure)
    assert {"train RMSE", "validation RMSE", "validation NDCG@10"} <= set(labels)
    assert any(label.startswith("kept: epoch") for label in labels)
    assert len(star.get_lines()[0].get_xdata()) == len(validated_model.metadata["history"]["star"])
    width, height = _png_size(plot_learning_curve(validated_model, tmp_path / "curve.png"))
    assert (width, height) == (1440, 600)


def test_learning_curve_without_validation_or_history(small_model: FactorModel) -> None:
    figure = build_learning_curve(small_model)  # trained blind: train RMSE only
    assert "train RMSE" in _legend_labels(figure)
    assert "not recorded (trained without validation)" in _texts(figure)
    bare = replace(small_model, metadata={})
    assert "no training history in this model file" in _texts(build_learning_curve(bare))


def test_item_map_colours_genres_and_labels_known_films(
    small_model: FactorModel, catalog: Catalog, tmp_path: Path
) -> None:
    figure = build_item_map(small_model, catalog, labelled=20)
    (ax,) = [a for a in figure.axes if a.get_title()]
    assert ax.get_title().startswith("Film map")
    assert ax.get_xlabel().startswith("taste axis 1 (") and "% of variance" in ax.get_xlabel()
    assert ax.get_ylabel().startswith("taste axis 2 (")
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "main genre (films)"
    entries = [t.get_text().split(" (")[0] for t in legend.get_texts()]
    assert set(entries) == {*GENRES, "unknown"}
    dots = [h for h in legend.legend_handles if isinstance(h, PathCollection)]
    assert len(dots) == len(entries)
    assert {float(d.get_sizes()[0]) for d in dots} == {40.0}, "one size, whatever the popularity"
    labels = [a.get_text() for a in ax.texts if a.get_text().startswith("Synthetic")]
    assert 5 <= len(labels) <= 20
    best = small_model.item_ids[int(np.argmax(small_model.item_popularity.numpy()))]
    assert f"Synthetic Film Number {best}"[:23] in " ".join(labels)
    width, height = _png_size(plot_item_map(small_model, catalog, tmp_path / "map.png"))
    assert (width, height) == (1680, 1320)


def test_user_map_marks_rated_and_recommended_films(
    small_model: FactorModel, catalog: Catalog, tmp_path: Path
) -> None:
    rated = small_model.item_ids[:4]
    stars = [5.0, 1.0, 3.0, 4.0]
    recommended, _ = small_model.recommend(small_model.fold_in(rated, stars), 5, exclude=rated)
    figure = build_user_map(small_model, catalog, rated, stars, recommended)
    ax = figure.axes[0]
    assert ax.get_title().startswith("Your taste map")
    assert set(_legend_labels(figure)) == {"other films", "rated by you", "recommended for you"}
    assert any(a.get_ylabel() == "your stars" for a in figure.axes)  # the colour bar
    shown = " ".join(t.get_text() for t in ax.texts)
    assert f"Synthetic Film Number {recommended[0]}"[:23] in shown
    path = plot_user_map(small_model, catalog, tmp_path / "user.png", rated, stars, recommended)
    assert _png_size(path) == (1680, 1320)
    with pytest.raises(ValueError, match="same length"):
        build_user_map(small_model, catalog, rated, stars[:2], recommended)


def test_user_map_with_nothing_rated(small_model: FactorModel, catalog: Catalog) -> None:
    figure = build_user_map(small_model, catalog, [], [], small_model.item_ids[:3])
    assert set(_legend_labels(figure)) == {"other films", "recommended for you"}


def test_ratings_histogram_counts_every_star(tmp_path: Path) -> None:
    stars = [5, 4, 4, 3, 3, 3, 1, 0.5]
    figure = build_ratings_histogram(stars, title="Your ratings")
    (ax,) = figure.axes
    assert ax.get_title() == "Your ratings"
    assert ax.get_xlabel() == "stars" and ax.get_ylabel() == "ratings"
    assert [p.get_height() for p in ax.patches] == [1, 1, 3, 2, 1]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5★", "1★", "3★", "4★", "5★"]
    assert "8 ratings, mean 2.94★" in _texts(figure)
    width, height = _png_size(plot_ratings_histogram(stars, tmp_path / "hist.png"))
    assert (width, height) == (840, 540)
    assert "no ratings yet" in _texts(build_ratings_histogram([]))


def test_elicitation_plot_has_a_line_per_strategy(tmp_path: Path) -> None:
    rows = {
        name: [
            {"questions": q, "ndcg@10": base + q / 100, "rmse": 1.1 - q / 100, "rated": q / 2}
            for q in (5, 10, 20)
        ]
        for name, base in (("adaptive", 0.4), ("popularity", 0.35), ("random", 0.3))
    }
    result = {"questions": [5, 10, 20], "users": 189, "strategies": rows}
    figure = build_elicitation(result)
    left, right = figure.axes
    assert "189 users" in figure.get_suptitle()
    assert left.get_xlabel() == right.get_xlabel() == "questions asked"
    assert "NDCG@10" in left.get_ylabel() and "RMSE" in right.get_ylabel()
    assert _legend_labels(figure)[:3] == ["adaptive", "popularity", "random"]
    assert list(left.get_lines()[0].get_ydata()) == pytest.approx([0.45, 0.5, 0.6])
    assert _png_size(plot_elicitation(result, tmp_path / "sub" / "elicit.png")) == (1440, 600)


def test_coordinates_are_deterministic_and_popular_films_lie_right(
    small_model: FactorModel,
) -> None:
    coords, share = item_coordinates(small_model)
    again, _ = item_coordinates(small_model)
    np.testing.assert_array_equal(coords, again)
    assert coords.shape == (small_model.n_items, 2)
    assert 0 < share[1] <= share[0] <= 1
    popularity = small_model.item_popularity.numpy()
    assert np.corrcoef(coords[:, 0], popularity)[0, 1] >= 0


def test_write_plots_renders_the_model_and_a_user(
    small_model: FactorModel, catalog: Catalog, tmp_path: Path
) -> None:
    names = [p.name for p in write_plots(small_model, catalog, tmp_path / "a")]
    assert names == ["learning_curve.png", "item_map.png"]
    rated = small_model.item_ids[:3]
    paths = write_plots(small_model, catalog, tmp_path / "b", rated, [5.0, 3.0, 1.0])
    assert [p.name for p in paths][2:] == ["user_map.png", "user_ratings.png"]
    assert all(_png_size(p)[0] > 600 for p in paths)
