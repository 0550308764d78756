"""A synthetic rating set with MovieLens 25M's shape, written as an ml-25m-style folder.

Users' activity and films' popularity are long-tailed (log-normal activity with at least 20
ratings a user, a Zipf–Mandelbrot popularity curve), each user rates distinct films, and stars
come from a low-rank taste model plus noise, rounded to half stars, so training has real
structure to find. As in MovieLens, people mostly rate films they were drawn to: a draw is
kept with a probability that grows with the user's taste for the film, so which films a user
rated says something about them, which is what the rank head learns from.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_films

# "ratings" asks for 0.4% more than ML-25M's 25,000,095: the generator ends a little short.
ML25M_SHAPE = {"users": 162_541, "items": 59_047, "ratings": 25_100_000}

# ML-25M's most rated film has ~81k ratings and its top 1% of films hold about a third of all
# ratings; p_i ∝ (i + 50)^-1 over 59k films gives ~70k and 36%. A pure Zipf curve (offset 0)
# would ask for more ratings of the top film than there are users.
_POPULARITY_EXPONENT = 1.0
_POPULARITY_OFFSET = 50.0
_TOP_UP_ROUNDS = 12


def generate(users: int, items: int, ratings: int, seed: int = 0, rank: int = 8) -> pd.DataFrame:
    """About ``ratings`` ratings (a few short when the heaviest users would need more films
    than exist), at most one per (user, film) pair, sorted by user then film."""
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.3, users)
    activity = 20 + activity / activity.sum() * max(ratings - 20 * users, 0)
    counts = np.minimum(np.round(activity).astype(np.int64), max(items // 2, 1))
    offset = _POPULARITY_OFFSET * items / ML25M_SHAPE["items"]
    popularity = 1.0 / (np.arange(1, items + 1) + offset) ** _POPULARITY_EXPONENT
    popularity = rng.permutation(popularity / popularity.sum())
    taste_u = rng.normal(0, 0.45, (users, rank)).astype(np.float32)
    taste_i = rng.normal(0, 0.45, (items, rank)).astype(np.float32)
    bias_u = rng.normal(0, 0.35, users).astype(np.float32)
    bias_i = rng.normal(0, 0.45, items).astype(np.float32)

    def drawn_to(u: np.ndarray, i: np.ndarray) -> np.ndarray:
        affinity = (taste_u[u] * taste_i[i]).sum(1) + bias_i[i]
        return 1.0 / (1.0 + np.exp(-3.0 * affinity))

    user_rows, item_rows = _distinct_pairs(rng, counts, popularity, drawn_to)
    stars = np.empty(len(user_rows), np.float32)
    step = 2_000_000
    for start in range(0, len(stars), step):
        u, i = user_rows[start : start + step], item_rows[start : start + step]
        raw = 3.5 + bias_u[u] + bias_i[i] + (taste_u[u] * taste_i[i]).sum(1)
        raw += rng.normal(0, 0.8, len(u)).astype(np.float32)
        stars[start : start + step] = np.clip(np.round(raw * 2) / 2, 0.5, 5.0)
    timestamps = rng.integers(789_652_009, 1_574_327_703, len(stars))
    return pd.DataFrame(
        {
            "userId": (user_rows + 1).astype(np.int32),
            "movieId": (item_rows + 1).astype(np.int32),
            "rating": stars,
            "timestamp": timestamps,
        }
    )


def _distinct_pairs(
    rng: np.random.Generator,
    counts: np.ndarray,
    popularity: np.ndarray,
    keep: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """``counts[u]`` distinct films for every user u, drawn by ``popularity``, each draw kept
    with probability ``keep(users, films)``.

    Draws with replacement, drops repeats and draws again for what is missing. Heavy users
    repeat popular films often, so later rounds draw uniformly: the top-up then converges in
    a few rounds instead of dozens, at the cost of a slightly flatter tail for heavy users.
    """
    items = len(popularity)
    keys = np.empty(0, np.int64)
    missing = counts
    for round_ in range(_TOP_UP_ROUNDS):
        owners = np.repeat(np.arange(len(counts), dtype=np.int64), missing)
        if len(owners) <= len(keys) // 10_000:  # close enough: each round re-sorts everything
            break
        if round_ < 6:
            drawn = rng.choice(items, size=len(owners), p=popularity)
        else:
            drawn = rng.integers(0, items, len(owners))
        kept = rng.random(len(drawn)) < keep(owners, drawn)
        keys = np.unique(np.concatenate([keys, owners[kept] * items + drawn[kept]]))
        missing = np.maximum(counts - np.bincount(keys // items, minlength=len(counts)), 0)
    return keys // items, keys % items


def write_release(folder: Path, frame: pd.DataFrame, items: int, seed: int = 0) -> float:
    """ratings.csv, movies.csv and links.csv like ml-25m; returns seconds spent writing."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / "ratings.csv.tmp"
    frame.to_csv(tmp, index=False, chunksize=1_000_000, float_format="%.1f")
    tmp.replace(folder / "ratings.csv")
    synthetic_films.films(items, seed).to_csv(folder / "movies.csv", index=False)
    synthetic_films.links(items, seed).to_csv(folder / "links.csv", index=False)
    return time.perf_counter() - started


@dataclass(frozen=True)
class PlantedPrior:
    """The distribution :func:`planted` draws its model from: what an estimator that knew it
    could condition on (``bench/planted_bound.py``)."""

    rank: int = 6
    noise: float = 0.6  # sd of the normal noise before rounding
    mean: float = 3.5
    taste: float = 0.45  # sd of every user and film factor
    user_bias: float = 0.35
    item_bias: float = 0.45

    def expected_stars(self, mean: np.ndarray) -> np.ndarray:
        """E[star | planted mean]: P(star = s) is the normal's mass between s - ½ and s + ½
        (open at the ends of the scale)."""
        from scipy.special import ndtr

        edges = np.array([-np.inf, 1.5, 2.5, 3.5, 4.5, np.inf])
        mass = np.diff(ndtr((edges[None, :] - mean[:, None]) / self.noise), axis=1)
        return np.asarray(mass @ np.arange(1.0, 6.0))


def planted(
    users: int = 3_000,
    items: int = 2_000,
    ratings: int = 150_000,
    prior: PlantedPrior = PlantedPrior(),
    seed: int = 0,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Whole stars 1-5 from a planted μ + b_u + b_i + p_u·q_i plus normal noise, drawn from
    ``prior``, with long-tailed activity and popularity as above (and no selection on taste),
    together with the oracle's prediction for every rating: the expected star given the
    planted model, which no model can beat on average (the best squared error for each pair)."""
    rng = np.random.default_rng(seed)
    activity = rng.lognormal(0.0, 1.0, users)
    counts = np.maximum(np.round(activity / activity.sum() * ratings), 5).astype(np.int64)
    counts = np.minimum(counts, items // 2)
    popularity = 1.0 / (np.arange(1, items + 1) + 0.02 * items)
    popularity = rng.permutation(popularity / popularity.sum())
    user_rows, item_rows = _distinct_pairs(
        rng, counts, popularity, lambda u, i: np.ones(len(u), np.float64)
    )
    taste_u = rng.normal(0, prior.taste, (users, prior.rank))
    taste_i = rng.normal(0, prior.taste, (items, prior.rank))
    bias_u, bias_i = rng.normal(0, prior.user_bias, users), rng.normal(0, prior.item_bias, items)
    mean = prior.mean + bias_u[user_rows] + bias_i[item_rows]
    mean += (taste_u[user_rows] * taste_i[item_rows]).sum(1)
    stars = np.clip(np.round(mean + rng.normal(0, prior.noise, len(mean))), 1, 5)
    frame = pd.DataFrame(
        {
            "userId": (user_rows + 1).astype(np.int32),
            "movieId": (item_rows + 1).astype(np.int32),
            "rating": stars.astype(np.float32),
            "timestamp": rng.integers(789_652_009, 1_574_327_703, len(stars)),
        }
    )
    return frame, prior.expected_stars(mean)


ML_LATEST_SMALL_SHAPE = {"users": 610, "items": 9_742, "ratings": 100_836}
"""ml-latest-small: 610 users with at least 20 ratings each, 9,742 films, most rated once."""


def main() -> None:
    parser = argparse.ArgumentParser(description="write a synthetic ml-25m-format release")
    parser.add_argument("out", type=Path, help="folder to write (replaced when complete)")
    parser.add_argument("--scale", type=float, default=1.0, help="share of ML-25M's size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shape = {key: max(1, round(value * args.scale)) for key, value in ML25M_SHAPE.items()}
    started = time.perf_counter()
    frame = generate(shape["users"], shape["items"], shape["ratings"], args.seed)
    generated = time.perf_counter() - started
    staging = args.out.with_name(args.out.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    written = write_release(staging, frame, shape["items"], args.seed)
    shutil.rmtree(args.out, ignore_errors=True)
    staging.rename(args.out)
    print(
        f"{args.out}: {len(frame):,} ratings, {frame['userId'].nunique():,} users, "
        f"{shape['items']:,} films; generated in {generated:.0f} s, written in {written:.0f} s"
    )


if __name__ == "__main__":
    main()
