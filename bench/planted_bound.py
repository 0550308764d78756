"""The best RMSE any estimator can reach on the planted set's test ratings: where "1.12× the
oracle" (issue 16's target for ``recsys tune``) stands against what the ratings allow.

The oracle knows the planted model; an estimator only sees the training ratings. The most it
could also know is the distribution the model was drawn from (``synthetic.PlantedPrior``:
rank, noise, the spread of every factor and bias). Given both, the prediction with the least
expected squared error for each test pair is the posterior mean of its star,
E[star | training ratings], and no method does better on average. This script computes it
by Gibbs sampling the generator's own model with its true prior: each training star is a
latent normal rounded to whole stars (sampled inside its rounding interval), users' and films'
[factors, bias] are drawn from their Gaussian conditionals, and each kept sample contributes
the expected rounded star of every test pair. Several chains are averaged.

    python bench/planted_bound.py [--burn-in 200] [--samples 800] [--chains 2]

Same split as ``bench/tuning.py``. Writes bench/results/planted-bound.json and .md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, write
from synthetic import PlantedPrior, planted
from tuning import as_ratings, holdout

from recsys.metrics import rmse

TRACE_AT = (50, 100, 200, 400, 800, 1600, 3200)


class _Ratings:
    """Training or test pairs as 0-based user and film rows (planted ids are 1-based)."""

    def __init__(self, users: np.ndarray, items: np.ndarray, stars: np.ndarray) -> None:
        self.users, self.items = users - 1, items - 1
        self.stars = stars.astype(np.float64)


def _draw_rows(
    owners: np.ndarray,
    design: np.ndarray,
    target: np.ndarray,
    n_rows: int,
    prior_var: np.ndarray,
    noise: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Every row's [factors, bias] from N(P⁻¹b, P⁻¹): P = diag(1 / prior_var) + ZᵀZ / σ²,
    b = Zᵀt / σ², summed over the row's ratings (rows without ratings get the prior)."""
    d = design.shape[1]
    gram = np.zeros((n_rows, d, d))
    np.add.at(gram, owners, design[:, :, None] * design[:, None, :])
    rhs = np.zeros((n_rows, d))
    np.add.at(rhs, owners, design * target[:, None])
    precision = gram / noise**2 + np.diag(1.0 / prior_var)
    factor = np.linalg.cholesky(precision)
    mean = np.linalg.solve(precision, rhs[:, :, None] / noise**2)[:, :, 0]
    # x = mean + L⁻ᵀξ has covariance (LLᵀ)⁻¹ = P⁻¹.
    spread = np.linalg.solve(factor.transpose(0, 2, 1), rng.standard_normal((n_rows, d, 1)))
    return mean + spread[:, :, 0]


def posterior_mean(
    train: _Ratings,
    test: _Ratings,
    n_users: int,
    n_items: int,
    prior: PlantedPrior,
    burn_in: int,
    samples: int,
    seed: int,
    oracle_rmse: float,
) -> tuple[np.ndarray, dict[int, float]]:
    """E[star] of every test pair under one chain's kept samples, and the test RMSE of the
    running average at ``TRACE_AT`` samples (to see the chain settle)."""
    rng = np.random.default_rng(seed)
    k = prior.rank
    user_var = np.r_[np.full(k, prior.taste**2), prior.user_bias**2]
    item_var = np.r_[np.full(k, prior.taste**2), prior.item_bias**2]
    users = rng.normal(0, 0.1, (n_users, k + 1))
    items = rng.normal(0, 0.1, (n_items, k + 1))
    # Whole stars 1-5: star s came from a latent value in (s - ½, s + ½], open at the ends.
    low = np.where(train.stars <= 1, -np.inf, train.stars - 0.5)
    high = np.where(train.stars >= 5, np.inf, train.stars + 0.5)
    ones = np.ones(len(train.stars))

    def planted_mean(pairs: _Ratings) -> np.ndarray:
        u, i = users[pairs.users], items[pairs.items]
        return prior.mean + u[:, k] + i[:, k] + np.einsum("ij,ij->i", u[:, :k], i[:, :k])

    total = np.zeros(len(test.stars))
    trace: dict[int, float] = {}
    for sweep in range(burn_in + samples):
        mean = planted_mean(train)
        below, above = ndtr((low - mean) / prior.noise), ndtr((high - mean) / prior.noise)
        share = np.clip(below + rng.random(len(mean)) * (above - below), 1e-15, 1 - 1e-15)
        latent = mean + prior.noise * ndtri(share)
        film = items[train.items]
        users = _draw_rows(
            train.users, np.c_[film[:, :k], ones], latent - prior.mean - film[:, k],
            n_users, user_var, prior.noise, rng,
        )  # fmt: skip
        person = users[train.users]
        items = _draw_rows(
            train.items, np.c_[person[:, :k], ones], latent - prior.mean - person[:, k],
            n_items, item_var, prior.noise, rng,
        )  # fmt: skip
        kept = sweep - burn_in + 1
        if kept < 1:
            continue
        total += prior.expected_stars(planted_mean(test))
        if kept in TRACE_AT:
            trace[kept] = rmse(total / kept, test.stars) / oracle_rmse
            print(f"  chain {seed}, {kept} samples: {trace[kept]:.4f}× the oracle", flush=True)
    return total / samples, trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burn-in", type=int, default=200)
    parser.add_argument("--samples", type=int, default=800)
    parser.add_argument("--chains", type=int, default=2)
    args = parser.parse_args()
    prior = PlantedPrior()
    frame, oracle = planted(prior=prior)
    ratings = as_ratings(frame)
    train_frame, test_frame, tested = holdout(ratings)
    train, test = (
        _Ratings(f["user_id"].to_numpy(), f["item_id"].to_numpy(), f["rating"].to_numpy())
        for f in (train_frame, test_frame)
    )
    best_rmse = rmse(oracle[tested], test.stars)
    started = time.perf_counter()
    chains = []
    traces = {}
    for seed in range(args.chains):
        stars, traces[seed] = posterior_mean(
            train, test, int(ratings["user_id"].max()), int(ratings["item_id"].max()),
            prior, args.burn_in, args.samples, seed, best_rmse,
        )  # fmt: skip
        chains.append(stars)
    seconds = time.perf_counter() - started
    averaged = rmse(np.mean(chains, 0), test.stars)
    per_chain = [rmse(stars, test.stars) for stars in chains]
    rows = [["oracle (knows the planted model)", f"{best_rmse:.4f}", "1.000×"]]
    for seed, r in enumerate(per_chain):
        rows.append([f"posterior mean, chain {seed}", f"{r:.4f}", f"{r / best_rmse:.4f}×"])
    rows.append([
        f"posterior mean, {args.chains} chains averaged", f"{averaged:.4f}",
        f"{averaged / best_rmse:.4f}×",
    ])  # fmt: skip
    table = markdown_table(["estimator (planted set, 20% test)", "RMSE", "× oracle"], rows)
    payload = {
        "burn_in": args.burn_in,
        "samples": args.samples,
        "chains": args.chains,
        "test_ratings": len(test.stars),
        "oracle_rmse": best_rmse,
        "bound_rmse": averaged,
        "bound_ratio": averaged / best_rmse,
        "chain_ratios": [r / best_rmse for r in per_chain],
        "trace": traces,
        "seconds": seconds,
    }
    write("planted-bound", payload, table)


if __name__ == "__main__":
    main()
