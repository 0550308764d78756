"""Figures of a model and of a user's taste, written as PNG files.

Every ``plot_*`` writes a PNG and returns its path; its ``build_*`` twin returns the Figure,
so tests can read titles, labels and legends (recsys/figures.py says how figures are made;
the film maps are in recsys/filmmap.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from recsys.data.types import Catalog
from recsys.figures import LABEL, LEGEND, TICK, TITLE, message, png_bytes, save
from recsys.filmmap import build_item_map, build_user_map, plot_item_map, plot_user_map
from recsys.model import FactorModel

__all__ = [
    "build_elicitation",
    "build_item_map",
    "build_learning_curve",
    "build_ratings_histogram",
    "build_user_map",
    "plot_elicitation",
    "plot_item_map",
    "plot_learning_curve",
    "plot_ratings_histogram",
    "plot_user_map",
    "png_bytes",
    "write_plots",
]
STRATEGY_COLOURS = {"adaptive": "#1f77b4", "popularity": "#ff7f0e", "random": "#7f7f7f"}


# --------------------------------------------------------------------------- learning curve


def build_learning_curve(model: FactorModel) -> Figure:
    """Star head: train and validation RMSE per epoch; rank head: validation NDCG@10."""
    history = model.metadata.get("history") or {}
    star, rank = history.get("star") or [], history.get("rank") or []
    figure = Figure(figsize=(12, 5), layout="constrained")
    if not star and not rank:
        message(figure, "no training history in this model file", "Learning curves")
        return figure
    chosen = model.metadata.get("epochs") or {}
    figure.suptitle("Learning curves", fontsize=TITLE + 2)
    left, right = figure.subplots(1, 2)
    _curves(
        left,
        star,
        {"train_rmse": "train RMSE", "val_rmse": "validation RMSE"},
        "Star head: rating error",
        "RMSE (stars)",
        chosen.get("star"),
    )
    _curves(
        right,
        rank,
        {"val_ndcg@10": "validation NDCG@10"},
        "Rank head: ranking quality",
        "NDCG@10",
        chosen.get("rank"),
    )
    return figure


def _curves(
    ax: Axes,
    rows: list[dict[str, float]],
    series: Mapping[str, str],
    title: str,
    ylabel: str,
    kept: int | None,
) -> None:
    ax.set_title(title, fontsize=TITLE)
    ax.set_xlabel("epoch", fontsize=LABEL)
    ax.set_ylabel(ylabel, fontsize=LABEL)
    ax.tick_params(labelsize=TICK)
    drawn = False
    for key, label in series.items():
        points = [(r["epoch"], r[key]) for r in rows if key in r]
        if points:
            epochs, values = zip(*points, strict=True)
            ax.plot(epochs, values, marker="o", markersize=3, label=label)
            drawn = True
    if not drawn:
        ax.text(
            0.5, 0.5, "not recorded (trained without validation)", ha="center",
            va="center", fontsize=LABEL, transform=ax.transAxes,
        )  # fmt: skip
        ax.set_xticks([])
        ax.set_yticks([])
        return
    if kept:
        ax.axvline(kept, color="0.4", linestyle="--", linewidth=1, label=f"kept: epoch {kept}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=LEGEND)


def plot_learning_curve(model: FactorModel, path: str | Path) -> Path:
    """Write :func:`build_learning_curve` as a PNG."""
    return save(build_learning_curve(model), path)


def write_plots(
    model: FactorModel,
    catalog: Catalog,
    out_dir: str | Path,
    rated_ids: Sequence[int] | np.ndarray | None = None,
    rated_stars: Sequence[float] | np.ndarray | None = None,
    recommend: int = 10,
) -> list[Path]:
    """The model's figures in ``out_dir``: ``learning_curve.png`` and ``item_map.png``; given
    a user's ratings also ``user_map.png`` (with their ``recommend`` best recommendations)
    and ``user_ratings.png``. Returns the paths written."""
    out = Path(out_dir)
    paths = [
        plot_learning_curve(model, out / "learning_curve.png"),
        plot_item_map(model, catalog, out / "item_map.png"),
    ]
    if rated_ids is not None and rated_stars is not None:
        ids = np.asarray(rated_ids, np.int64)
        stars = np.asarray(rated_stars, np.float64)
        recommended, _ = model.recommend(model.fold_in(ids, stars), recommend, exclude=ids)
        paths.append(plot_user_map(model, catalog, out / "user_map.png", ids, stars, recommended))
        paths.append(plot_ratings_histogram(stars, out / "user_ratings.png", "Your ratings"))
    return paths


# --------------------------------------------------------------------------- ratings


def build_ratings_histogram(stars: Iterable[float], title: str = "Ratings by stars") -> Figure:
    """How many ratings gave each number of stars, with the count on every bar."""
    values = np.asarray(list(stars), np.float64)
    figure = Figure(figsize=(7, 4.5), layout="constrained")
    if len(values) == 0:
        message(figure, "no ratings yet", title)
        return figure
    levels, counts = np.unique(values, return_counts=True)
    ax = figure.add_subplot()
    step = float(np.min(np.diff(levels))) if len(levels) > 1 else 1.0
    bars = ax.bar(levels, counts, width=0.8 * step, color="#f2b01e", edgecolor="#9a6a00")
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=TICK, padding=2)
    ax.set_xticks(levels, [f"{s:g}★" for s in levels])
    ax.set_title(title, fontsize=TITLE)
    ax.set_xlabel("stars", fontsize=LABEL)
    ax.set_ylabel("ratings", fontsize=LABEL)
    ax.tick_params(labelsize=TICK)
    ax.margins(y=0.15)
    ax.yaxis.set_major_formatter("{x:,.0f}")
    ax.text(
        0.01, 0.97, f"{len(values):,} ratings, mean {values.mean():.2f}★",
        transform=ax.transAxes, fontsize=TICK, va="top", color="0.3",
    )  # fmt: skip
    return figure


def plot_ratings_histogram(
    stars: Iterable[float], path: str | Path, title: str = "Ratings by stars"
) -> Path:
    """Write :func:`build_ratings_histogram` as a PNG."""
    return save(build_ratings_histogram(stars, title), path)


# --------------------------------------------------------------------------- elicitation


def build_elicitation(result: Mapping[str, Any]) -> Figure:
    """NDCG@10 and RMSE of simulated new users against the number of questions asked, one
    line per question strategy (the output of ``run_elicitation_eval``)."""
    figure = Figure(figsize=(12, 5), layout="constrained")
    strategies: Mapping[str, list[dict[str, float]]] = result.get("strategies") or {}
    title = f"New users: what a few questions teach the model ({result.get('users', '?')} users)"
    if not strategies:
        message(figure, "no strategies in this result", title)
        return figure
    figure.suptitle(title, fontsize=TITLE + 2)
    left, right = figure.subplots(1, 2)
    panels = (
        (left, "ndcg@10", "Ranking: NDCG@10 (higher is better)", "NDCG@10 on films not asked"),
        (right, "rmse", "Stars: RMSE (lower is better)", "RMSE on films not asked"),
    )
    for ax, key, panel_title, ylabel in panels:
        for name, rows in strategies.items():
            asked = [r["questions"] for r in rows]
            ax.plot(
                asked, [r[key] for r in rows], marker="o", linewidth=2,
                color=STRATEGY_COLOURS.get(name), label=name,
            )  # fmt: skip
        ax.set_title(panel_title, fontsize=TITLE)
        ax.set_xlabel("questions asked", fontsize=LABEL)
        ax.set_ylabel(ylabel, fontsize=LABEL)
        ax.set_xticks(result.get("questions") or asked)
        ax.tick_params(labelsize=TICK)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=LEGEND, title="strategy", title_fontsize=LEGEND)
    return figure


def plot_elicitation(result: Mapping[str, Any], path: str | Path) -> Path:
    """Write :func:`build_elicitation` as a PNG."""
    return save(build_elicitation(result), path)
