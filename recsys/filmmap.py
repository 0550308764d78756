"""Maps of the films a model learned: each film placed by its rank-head factors, coloured by
its main genre, with a user's ratings and recommendations on top (``plot_*`` writes a PNG,
its ``build_*`` twin returns the Figure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from recsys.data.types import Catalog
from recsys.figures import LABEL, LEGEND, TICK, TITLE, message, save
from recsys.model import FactorModel

MAP_SIZE = (14.0, 11.0)  # inches: room for a few hundred small labels
LABEL_FONT = 5.5
UNKNOWN_GENRE = "unknown"


# The biggest genres get the most distinct colours (tab10 without its grey, kept for unknown
# genres), the rest the paler tab20 ones.
def _colours(name: str) -> list[Any]:
    colours: Any = cast(ListedColormap, matplotlib.colormaps[name]).colors
    return list(colours)


_PALETTE = [*(c for i, c in enumerate(_colours("tab10")) if i != 7), *_colours("tab20")[1::2]]


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
        message(figure, "the model has no films", "Film map")
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
    return save(build_item_map(model, catalog, labelled), path)


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
        message(figure, "the model has no films", "Your taste map")
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
    return save(build_user_map(model, catalog, rated_ids, rated_stars, recommended_ids), path)
