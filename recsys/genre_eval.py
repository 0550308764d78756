"""What the genre prior buys, measured where it acts: on films with few training ratings.

Overall RMSE hides it (rare films hold a few percent of the ratings), so this reports RMSE on
the test ratings of films with fewer than 10 and 20 training ratings in a k-fold split, and
on films made cold: a share of well-rated films keep only a few of their ratings for
training and are scored on the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from recsys.baselines import ModelScorer
from recsys.config import TrainConfig
from recsys.evaluate import kfold_splits
from recsys.train import Trainer

RARE_BELOW = (10, 20)


def cold_item_split(
    ratings: pd.DataFrame,
    item_share: float = 0.2,
    known: int = 3,
    min_ratings: int = 20,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): ``item_share`` of the films with at least ``min_ratings`` ratings keep
    ``known`` random ratings in training; the rest of their ratings are the test set."""
    rng = np.random.default_rng(seed)
    counts = ratings["item_id"].value_counts()
    eligible = np.sort(counts.index[counts >= min_ratings].to_numpy())
    cold = rng.choice(eligible, round(item_share * len(eligible)), replace=False)
    is_cold = ratings["item_id"].isin(cold).to_numpy()
    shuffled = ratings[is_cold].iloc[rng.permutation(int(is_cold.sum()))]
    kept = shuffled.groupby("item_id").cumcount().to_numpy() < known
    return pd.concat([ratings[~is_cold], shuffled[kept]]), shuffled[~kept]


def squared_errors(
    config: TrainConfig,
    train: pd.DataFrame,
    test: pd.DataFrame,
    genres: Mapping[int, Sequence[str]],
) -> dict[str, float]:
    """Sums of squared errors and counts on ``test``: all of it and the ratings of films with
    fewer than each of ``RARE_BELOW`` training ratings (sums, so folds can be pooled)."""
    model = Trainer(config).fit(train, genres)
    scorer = ModelScorer(model, history=train)
    predicted = scorer.predict_pairs(test["user_id"].to_numpy(), test["item_id"].to_numpy())
    squared = (predicted - test["rating"].to_numpy()) ** 2
    n_train = test["item_id"].map(train["item_id"].value_counts()).fillna(0).to_numpy()
    out = {"all": float(squared.sum()), "all_n": float(len(squared))}
    for below in RARE_BELOW:
        rare = n_train < below
        out[f"<{below}"], out[f"<{below}_n"] = float(squared[rare].sum()), float(rare.sum())
    return out


def _pooled_rmse(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = [k for k in runs[0] if not k.endswith("_n")]
    out = {}
    for key in keys:
        n = sum(r[f"{key}_n"] for r in runs)
        name = "rmse" if key == "all" else f"rmse films {key} ratings"
        out[name] = float(np.sqrt(sum(r[key] for r in runs) / max(n, 1)))
        if key != "all":
            out[f"test ratings films {key}"] = n
    return out


def evaluate_genre_prior(
    ratings: pd.DataFrame,
    genres: Mapping[int, Sequence[str]],
    config: TrainConfig | None = None,
    folds: int = 5,
    seed: int = 0,
    cold_known: Sequence[int] = (1, 3, 5),
    strength: float | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """For each setting ("k-fold", "cold films, n ratings kept"), pooled RMSEs with the prior
    off and on (κ = ``strength``, by default the config's, else 10)."""
    config = config or TrainConfig()
    kappa = strength or config.genre_prior or 10.0
    variants = {"without prior": replace(config, genre_prior=0.0)}
    variants["with prior"] = replace(config, genre_prior=kappa)
    splits = {"k-fold": list(kfold_splits(ratings, folds, seed))}
    for known in cold_known:
        name = f"cold films, {known} rating{'s' if known != 1 else ''} kept"
        splits[name] = [cold_item_split(ratings, known=known, seed=seed + s) for s in range(3)]
    return {
        name: {
            variant: _pooled_rmse([squared_errors(c, tr, te, genres) for tr, te in pairs])
            for variant, c in variants.items()
        }
        for name, pairs in splits.items()
    }
