"""Splits and the evaluation of a model against its baselines.

Splits: random k-fold over ratings, a per-user time-ordered holdout, and *new users* (a share
of users left out of training, folded in from a few of their ratings, scored on the rest).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import torch

from recsys.baselines import Biases, GlobalMean, ModelScorer, Popularity, Scorer
from recsys.config import TrainConfig
from recsys.metrics import RELEVANT_STARS, coverage, mae, ranking_metrics, rmse
from recsys.model import FactorModel
from recsys.train import Trainer
from recsys.vocab import Vocabulary

K = 10
_USER_BATCH = 1024

# --------------------------------------------------------------------------- splits


def kfold_splits(
    ratings: pd.DataFrame, folds: int = 5, seed: int = 0
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Random k-fold over ratings: a ``default_rng(seed)`` permutation cut into ``folds``."""
    if folds < 2:
        raise ValueError("folds must be at least 2")
    parts = np.array_split(np.random.default_rng(seed).permutation(len(ratings)), folds)
    for f in range(folds):
        train = np.concatenate([p for j, p in enumerate(parts) if j != f])
        yield ratings.iloc[np.sort(train)], ratings.iloc[np.sort(parts[f])]


def temporal_split(
    ratings: pd.DataFrame, holdout_share: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's latest ``holdout_share`` of ratings (at least one) form the test set."""
    ordered = ratings.sort_values(["user_id", "timestamp"], kind="stable")
    position = ordered.groupby("user_id").cumcount().to_numpy()
    counts = ordered.groupby("user_id")["user_id"].transform("size").to_numpy()
    n_test = np.maximum(1, np.floor(counts * holdout_share)).astype(int)
    is_test = position >= counts - n_test
    return ordered[~is_test], ordered[is_test]


@dataclass(frozen=True)
class NewUserSplit:
    train: pd.DataFrame  # every rating of the users kept in training
    known: pd.DataFrame  # the few ratings each new user gives
    hidden: pd.DataFrame  # the rest of the new users' ratings, to score


def new_user_split(
    ratings: pd.DataFrame, user_share: float = 0.2, known: int = 10, seed: int = 0
) -> NewUserSplit:
    """Leave ``user_share`` of users out of training; each reveals ``known`` random ratings.

    Only users with more than ``known`` ratings can be new users (the rest need something to
    score on).
    """
    rng = np.random.default_rng(seed)
    counts = ratings["user_id"].value_counts()
    eligible = np.sort(counts.index[counts > known].to_numpy())
    new = rng.choice(eligible, round(user_share * len(eligible)), replace=False)
    is_new = ratings["user_id"].isin(new).to_numpy()
    newcomers = ratings[is_new]
    shuffled = newcomers.iloc[rng.permutation(len(newcomers))]
    revealed = shuffled.groupby("user_id").cumcount().to_numpy() < known
    return NewUserSplit(ratings[~is_new], shuffled[revealed], shuffled[~revealed])


# --------------------------------------------------------------------------- scoring


def score(scorer: Scorer, train: pd.DataFrame, test: pd.DataFrame, k: int = K) -> dict[str, float]:
    """RMSE/MAE on ``test`` pairs (where the scorer predicts stars) and ranking metrics.

    Ranking: each test user ranks every item they did not rate in ``train``; relevant items
    are their test ratings of 4 stars or more.
    """
    out: dict[str, float] = {}
    stars = scorer.predict_pairs(test["user_id"].to_numpy(), test["item_id"].to_numpy())
    if stars is not None:
        actual = test["rating"].to_numpy()
        out["rmse"], out["mae"] = rmse(stars, actual), mae(stars, actual)
    out.update(rank(scorer.score_users, scorer.items, train, test, k))
    return out


def rank(
    score_users: Callable[[np.ndarray], torch.Tensor],
    items: Vocabulary,
    train: pd.DataFrame,
    test: pd.DataFrame,
    k: int = K,
) -> dict[str, float]:
    """Precision, recall, NDCG and catalogue coverage at ``k``, over users in batches."""
    liked = test[test["rating"] >= RELEVANT_STARS]
    users = np.unique(liked["user_id"].to_numpy())
    n_items = len(items)
    counted, ndcg, precision, recall = 0, 0.0, 0.0, 0.0
    tops: list[np.ndarray] = []
    train_by_user = _rows_by_user(train, items)
    liked_by_user = _rows_by_user(liked, items)
    for start in range(0, len(users), _USER_BATCH):
        batch = users[start : start + _USER_BATCH]
        seen = torch.zeros(len(batch), n_items, dtype=torch.bool)
        relevant = torch.zeros_like(seen)
        for row, user in enumerate(batch):
            seen[row, train_by_user.get(user, [])] = True
            relevant[row, liked_by_user.get(user, [])] = True
        result = ranking_metrics(score_users(batch), seen, relevant, k)
        counted += result.users
        ndcg += result.ndcg_sum
        precision += result.precision_sum
        recall += result.recall_sum
        tops.append(result.top.numpy())
    n = max(counted, 1)
    return {
        f"precision@{k}": precision / n,
        f"recall@{k}": recall / n,
        f"ndcg@{k}": ndcg / n,
        f"coverage@{k}": coverage([t for block in tops for t in block.tolist()], n_items),
    }


def _rows_by_user(frame: pd.DataFrame, vocab: Vocabulary) -> dict[int, np.ndarray]:
    rows = vocab.rows(frame["item_id"].to_numpy())
    keep = rows >= 0
    users = frame["user_id"].to_numpy()[keep]
    rows = rows[keep]
    order = np.argsort(users, kind="stable")
    users, rows = users[order], rows[order]
    bounds = np.flatnonzero(np.diff(users)) + 1
    return {
        int(g[0]): r
        for g, r in zip(np.split(users, bounds), np.split(rows, bounds), strict=True)
        if len(g)
    }


# --------------------------------------------------------------------------- runs

BASELINES: dict[str, Callable[[pd.DataFrame], Scorer]] = {
    "popularity": Popularity,
    "biases": Biases,
    "global_mean": GlobalMean,
}


def evaluate_folds(
    ratings: pd.DataFrame,
    folds: int = 5,
    seed: int = 0,
    config: TrainConfig | None = None,
    on_fold: Callable[[int, dict[str, dict[str, float]]], None] | None = None,
    genres: Mapping[int, Sequence[str]] | None = None,
) -> dict[str, object]:
    """k-fold evaluation of the model and every baseline: means, stds and per-fold results.
    ``genres`` (the catalogue's) lets the model use its genre prior."""
    per_fold: list[dict[str, dict[str, float]]] = []
    for f, (train, test) in enumerate(kfold_splits(ratings, folds, seed)):
        result: dict[str, dict[str, float]] = {}
        started = time.perf_counter()
        model = Trainer(config).fit(train, genres)
        fit_seconds = time.perf_counter() - started
        scorer = ModelScorer(model, history=train)
        result["model"] = {**score(scorer, train, test), "fit_seconds": fit_seconds}
        for name, make in BASELINES.items():
            started = time.perf_counter()
            baseline = make(train)
            fit_seconds = time.perf_counter() - started
            result[name] = {**score(baseline, train, test), "fit_seconds": fit_seconds}
        per_fold.append(result)
        if on_fold is not None:
            on_fold(f, result)
    names = ["model", *BASELINES]
    return {
        "model": _mean(per_fold, "model"),
        "baselines": {name: _mean(per_fold, name) for name in BASELINES},
        "std": {name: _std(per_fold, name) for name in names},
        "folds": per_fold,
    }


def evaluate_new_users(
    ratings: pd.DataFrame,
    user_share: float = 0.2,
    known: int = 10,
    seed: int = 0,
    config: TrainConfig | None = None,
    genres: Mapping[int, Sequence[str]] | None = None,
) -> dict[str, dict[str, float]]:
    """New users folded in from ``known`` ratings, against the same users trained in.

    "Trained in" fits a model on the same data plus the new users' known ratings, so both
    sides know exactly the same ratings; the only difference is fold-in versus training.
    """
    split = new_user_split(ratings, user_share, known, seed)
    model = Trainer(config).fit(split.train, genres)
    folded = _FoldedScorer(model, split.known)
    joint = Trainer(config).fit(pd.concat([split.train, split.known]), genres)
    return {
        "folded_in": score(folded, split.known, split.hidden),
        "trained_in": score(ModelScorer(joint, history=split.known), split.known, split.hidden),
        "popularity": score(Popularity(split.train), split.known, split.hidden),
    }


class _FoldedScorer:
    """New users folded into a fixed model from their known ratings, as the bot does."""

    def __init__(self, model: FactorModel, known: pd.DataFrame) -> None:
        self.model = model
        self.items = model.items
        self.vectors = {
            int(cast(int, user)): model.fold_in(
                group["item_id"].to_numpy(), group["rating"].to_numpy()
            )
            for user, group in known.groupby("user_id")
        }

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        out = np.empty(len(user_ids), np.float32)
        frame = pd.DataFrame({"u": user_ids, "i": item_ids})
        for user, group in frame.groupby("u"):
            out[group.index.to_numpy()] = self.model.predict(
                self.vectors.get(int(cast(int, user))), group["i"].to_numpy()
            )
        return np.nan_to_num(out, nan=self.model.unseen_stars)

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(
            np.stack([self.model.scores(self.vectors.get(int(u))) for u in user_ids])
        )


def _mean(per_fold: list[dict[str, dict[str, float]]], name: str) -> dict[str, float]:
    keys = per_fold[0][name].keys()
    return {key: float(np.mean([fold[name][key] for fold in per_fold])) for key in keys}


def _std(per_fold: list[dict[str, dict[str, float]]], name: str) -> dict[str, float]:
    keys = per_fold[0][name].keys()
    return {key: float(np.std([fold[name][key] for fold in per_fold])) for key in keys}


# --------------------------------------------------------------------------- report

COLUMNS = ("rmse", "mae", "precision@10", "recall@10", "ndcg@10", "coverage@10", "fit_seconds")


def format_table(report: dict[str, object]) -> str:
    """A Markdown table, mean ± std over folds, model first."""
    baselines = cast(dict[str, dict[str, float]], report["baselines"])
    rows = {"model": cast(dict[str, float], report["model"]), **baselines}
    std = cast(dict[str, dict[str, float]], report.get("std", {}))
    lines = [
        "| " + " | ".join(["", *COLUMNS]) + " |",
        "|" + "---|" * (len(COLUMNS) + 1),
    ]
    for name, metrics in rows.items():
        cells = []
        for column in COLUMNS:
            if column not in metrics:
                cells.append("–")
                continue
            spread = std.get(name, {}).get(column)
            digits = 2 if column == "fit_seconds" else 4
            cell = f"{metrics[column]:.{digits}f}"
            cells.append(cell if spread is None else f"{cell} ± {spread:.{digits}f}")
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines)
