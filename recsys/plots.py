"""Figures of a model and of a user's taste, written as PNG files.

Every ``plot_*`` writes a PNG and returns its path; its ``build_*`` twin returns the Figure,
so tests can read titles, labels and legends. Figures are made with ``matplotlib.figure``
and never through pyplot: no display, no global figure registry to close, and two threads
of the bot can draw at the same time (pyplot's state machine is not thread-safe). Saving a
bare Figure renders with the Agg canvas.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from recsys.data.types import Catalog
from recsys.model import FactorModel

DPI = 120
TITLE, LABEL, TICK, LEGEND = 14, 12, 10, 10
MAP_SIZE = (14.0, 11.0)  # inches: room for a few hundred small labels
LABEL_FONT = 5.5
UNKNOWN_GENRE = "unknown"


# The biggest genres get the most distinct colours (tab10 without its grey, kept for unknown
# genres), the rest the paler tab20 ones.
def _colours(name: str) -> list[Any]:
    colours: Any = cast(ListedColormap, matplotlib.colormaps[name]).colors
    return list(colours)


_PALETTE = [*(c for i, c in enumerate(_colours("tab10")) if i != 7), *_colours("tab20")[1::2]]
STRATEGY_COLOURS = {"adaptive": "#1f77b4", "popularity": "#ff7f0e", "random": "#7f7f7f"}


def _save(figure: Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png")
    return path


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG bytes, for sending without touching the disk."""
    buffer = io.BytesIO()
    figure.savefig(buffer, dpi=DPI, format="png")
    return buffer.getvalue()


def _message(figure: Figure, text: str, title: str) -> None:
    """A figure that says why there is nothing to draw, instead of an empty frame."""
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.set_title(title, fontsize=TITLE)
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=LABEL, transform=ax.transAxes)


# --------------------------------------------------------------------------- learning curve


def build_learning_curve(model: FactorModel) -> Figure:
    """Star head: train and validation RMSE per epoch; rank head: validation NDCG@10."""
    history = model.metadata.get("history") or {}
    star, rank = history.get("star") or [], history.get("rank") or []
    figure = Figure(figsize=(12, 5), layout="constrained")
    if not star and not rank:
        _message(figure, "no training history in this model file", "Learning curves")
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
    return _save(build_learning_curve(model), path)


# --------------------------------------------------------------------------- maps


def item_coordinates(model: FactorModel) -> tuple[np.ndarray, np.ndarray]:
    """2-D PCA of the rank-head item factors: (n_items × 2) coordinates and the share of
    variance each axis explains. Signs are fixed so that well-known films lie to the right
    and top, the same on every run."""
    factors = model.rank_item_factors.numpy().astype(np.float64)
    if len(factors) == 0:
        return np.zeros((0, 2)), np.zeros(2)
    centred = factors - factors.mean(0)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    components = axes[:2]
    coords = np.zeros((len(factors), 2))
    coords[:, : len(components)] = centred @ components.T
    popularity = model.item_popularity.numpy().astype(np.float64)
    signs = np.where(coords.T @ (popularity - popularity.mean()) < 0, -1.0, 1.0)
    share = singular**2 / max(float(np.sum(singular**2)), 1e-12)
    return coords * signs, np.pad(share[:2], (0, max(0, 2 - len(share))))


def main_genres(model: FactorModel, catalog: Catalog) -> np.ndarray:
    """The first listed genre of every model item (``"unknown"`` when there is none)."""
    genres = catalog.frame["genres"].reindex(model.item_ids)
    return np.array(
        [g[0] if isinstance(g, tuple) and g else UNKNOWN_GENRE for g in genres], dtype=object
    )


def _short(title: str, limit: int = 24) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def _map_axes(figure: Figure, share: np.ndarray, title: str) -> Axes:
    ax = figure.add_subplot()
    ax.set_title(title, fontsize=TITLE + 2)
    ax.set_xlabel(f"taste axis 1 ({share[0]:.0%} of variance)", fontsize=LABEL)
    ax.set_ylabel(f"taste axis 2 ({share[1]:.0%} of variance)", fontsize=LABEL)
    ax.tick_params(labelsize=TICK)
    ax.grid(alpha=0.2)
    return ax


# Where a label may go around its point, in order of preference: (dx, dy) in points, and the
# label's alignment. The box arithmetic below mirrors these.
_PLACES = (
    (2.0, 0.0, "left", "bottom"),
    (-2.0, 0.0, "right", "bottom"),
    (0.0, 3.0, "center", "bottom"),
    (0.0, -3.0, "center", "top"),
)


def _label_without_overlap(
    ax: Axes,
    figure: Figure,
    coords: np.ndarray,
    texts: Sequence[str],
    *,
    fontsize: float = LABEL_FONT,
    **style: Any,
) -> int:
    """Label points in the given order, each on the first side of its point where the label
    covers no label placed before, or not at all; returns how many were labelled. Sizes are
    estimated from the font size, close enough to keep a few hundred labels readable."""
    if len(coords) == 0:
        return 0
    x_low, x_high = ax.get_xlim()
    y_low, y_high = ax.get_ylim()
    width_in, height_in = figure.get_size_inches()
    # The axes take about 3/4 of the figure's width (legend on the right) and 9/10 of its height.
    x_per_point = (x_high - x_low) / (width_in * 72 * 0.75)
    y_per_point = (y_high - y_low) / (height_in * 72 * 0.9)
    placed = np.empty((0, 4))  # x0, y0, x1, y1 of every label so far
    for (x, y), text in zip(coords, texts, strict=True):
        width = (len(text) * 0.6 + 0.5) * fontsize * x_per_point
        height = 1.15 * fontsize * y_per_point
        for dx, dy, ha, va in _PLACES:
            x0 = x + dx * x_per_point - {"left": 0.0, "right": width, "center": width / 2}[ha]
            y0 = y + dy * y_per_point - (height if va == "top" else 0.0)
            box = np.array([x0, y0, x0 + width, y0 + height])
            overlaps = (
                (box[0] < placed[:, 2])
                & (placed[:, 0] < box[2])
                & (box[1] < placed[:, 3])
                & (placed[:, 1] < box[3])
            )
            if not overlaps.any():
                placed = np.vstack([placed, box])
                ax.annotate(
                    text, (x, y), xytext=(dx, dy), textcoords="offset points",
                    fontsize=fontsize, ha=ha, va=va, **style,
                )  # fmt: skip
                break
    return len(placed)


def build_item_map(model: FactorModel, catalog: Catalog, labelled: int = 300) -> Figure:
    """Every film as a dot on the first two principal axes of the rank-head factors, coloured
    by its main genre and sized by popularity; the ``labelled`` best-known films get their
    titles where the labels don't collide."""
    figure = Figure(figsize=MAP_SIZE, layout="constrained")
    coords, share = item_coordinates(model)
    if len(coords) == 0:
        _message(figure, "the model has no films", "Film map")
        return figure
    ax = _map_axes(figure, share, "Film map: films that the same people watch sit together")
    genres = main_genres(model, catalog)
    popularity = model.item_popularity.numpy().astype(np.float64)
    sizes = 4 + 60 * np.sqrt(popularity / max(float(popularity.max()), 1.0))
    names, counts = np.unique(genres, return_counts=True)
    for index, genre in enumerate(names[np.argsort(-counts, kind="stable")]):
        mask = genres == genre
        colour = "0.6" if genre == UNKNOWN_GENRE else _PALETTE[index % len(_PALETTE)]
        ax.scatter(
            coords[mask, 0], coords[mask, 1], s=sizes[mask], color=colour, alpha=0.6,
            linewidths=0, label=f"{genre} ({int(mask.sum())})",
        )  # fmt: skip
    order = np.argsort(-popularity, kind="stable")[:labelled]
    titles = [_short(catalog.title(i)) if i in catalog else str(i) for i in model.item_ids[order]]
    shown = _label_without_overlap(ax, figure, coords[order], titles, alpha=0.8)
    legend = ax.legend(
        title="main genre (films)", fontsize=LEGEND, title_fontsize=LEGEND, loc="upper left",
        bbox_to_anchor=(1.01, 1.0), frameon=False,
    )  # fmt: skip
    for handle in legend.legend_handles:  # one size for all: dot sizes vary with popularity
        if isinstance(handle, PathCollection):  # what scatter() puts in a legend
            handle.set_sizes([40])
    ax.text(
        0.01, 0.01, f"labelled: {shown} of the {len(order)} best-known films; "
        "dot size: number of 4+ star ratings", transform=ax.transAxes, fontsize=TICK,
        color="0.3",
    )  # fmt: skip
    return figure


def plot_item_map(
    model: FactorModel, catalog: Catalog, path: str | Path, labelled: int = 300
) -> Path:
    """Write :func:`build_item_map` as a PNG."""
    return _save(build_item_map(model, catalog, labelled), path)


def build_user_map(
    model: FactorModel,
    catalog: Catalog,
    rated_ids: Iterable[int],
    rated_stars: Iterable[float],
    recommended_ids: Iterable[int],
) -> Figure:
    """The film map with one user's rated films coloured by their stars and the films
    recommended to them marked and labelled."""
    figure = Figure(figsize=MAP_SIZE, layout="constrained")
    coords, share = item_coordinates(model)
    if len(coords) == 0:
        _message(figure, "the model has no films", "Your taste map")
        return figure
    ax = _map_axes(figure, share, "Your taste map: what you rated and what we recommend")
    ax.scatter(coords[:, 0], coords[:, 1], s=5, color="0.82", linewidths=0, label="other films")
    rated = model.items.rows(np.asarray(list(rated_ids), np.int64))
    stars = np.asarray(list(rated_stars), np.float64)
    if len(rated) != len(stars):
        raise ValueError("rated_ids and rated_stars must have the same length")
    stars, rated = stars[rated >= 0], rated[rated >= 0]
    recommended = model.items.rows(np.asarray(list(recommended_ids), np.int64))
    recommended = recommended[recommended >= 0]
    low, high = model.rating_scale
    if len(rated):
        points = ax.scatter(
            coords[rated, 0], coords[rated, 1], c=stars, cmap="RdYlGn", vmin=low, vmax=high,
            s=70, edgecolors="black", linewidths=0.5, label="rated by you", zorder=3,
        )  # fmt: skip
        bar = figure.colorbar(points, ax=ax, shrink=0.6, pad=0.01)
        bar.set_label("your stars", fontsize=LABEL)
    if len(recommended):
        ax.scatter(
            coords[recommended, 0], coords[recommended, 1], marker="*", s=260,
            color="#1f5fbf", edgecolors="white", linewidths=0.8, label="recommended for you",
            zorder=4,
        )  # fmt: skip
    # Recommendations first: when labels collide, theirs win.
    rows = np.concatenate([recommended, rated])
    titles = [_short(catalog.title(i)) if i in catalog else str(i) for i in model.item_ids[rows]]
    _label_without_overlap(
        ax, figure, coords[rows], titles, fontsize=8, color="black", zorder=5,
    )  # fmt: skip
    ax.legend(fontsize=LEGEND, loc="upper left", markerscale=1.0, framealpha=0.9)
    return figure


def plot_user_map(
    model: FactorModel,
    catalog: Catalog,
    path: str | Path,
    rated_ids: Iterable[int],
    rated_stars: Iterable[float],
    recommended_ids: Iterable[int],
) -> Path:
    """Write :func:`build_user_map` as a PNG."""
    return _save(build_user_map(model, catalog, rated_ids, rated_stars, recommended_ids), path)


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
        _message(figure, "no ratings yet", title)
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
    return _save(build_ratings_histogram(stars, title), path)


# --------------------------------------------------------------------------- elicitation


def build_elicitation(result: Mapping[str, Any]) -> Figure:
    """NDCG@10 and RMSE of simulated new users against the number of questions asked, one
    line per question strategy (the output of ``run_elicitation_eval``)."""
    figure = Figure(figsize=(12, 5), layout="constrained")
    strategies: Mapping[str, list[dict[str, float]]] = result.get("strategies") or {}
    title = f"New users: what a few questions teach the model ({result.get('users', '?')} users)"
    if not strategies:
        _message(figure, "no strategies in this result", title)
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
    return _save(build_elicitation(result), path)
