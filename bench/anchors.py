"""Ranking anchors on this project's protocol: EASE, iALS (the ``implicit`` library), RP3beta
and PureSVD, each with its settings chosen by Optuna (TPE) on a validation split of the
training ratings only, then refitted on all of them.

Protocol (the same as ``recsys.evaluate.rank``): every film a user did not rate in training
is ranked; relevant films are their test ratings of 4 stars or more.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import optuna
import pandas as pd
import torch

from recsys.evaluate import rank
from recsys.tune import validation_split
from recsys.vocab import Vocabulary

Fit = Callable[[np.ndarray, np.ndarray, dict[str, Any]], np.ndarray]
"""(binary matrix, star matrix, settings) → users × films scores."""


def ease(binary: np.ndarray, stars: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """Steck 2019: B = I − P·diag(1/diag P), P = (XᵀX + λI)⁻¹; scores X·B."""
    gram = binary.T.astype(np.float64) @ binary + p["lambda"] * np.eye(binary.shape[1])
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(weights, 0.0)
    return binary @ weights.astype(np.float32)


def rp3beta(binary: np.ndarray, stars: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """Paudel et al. 2017: three-step random walk user → film → user → film, transition
    probabilities raised to α, the arrival film's popularity divided out to the power β."""
    to_item = binary / np.maximum(binary.sum(1, keepdims=True), 1.0)
    to_user = binary.T / np.maximum(binary.T.sum(1, keepdims=True), 1.0)
    walk = (to_user ** p["alpha"]) @ (to_item ** p["alpha"])
    walk /= np.maximum(binary.sum(0), 1.0)[None, :] ** p["beta"]
    np.fill_diagonal(walk, 0.0)
    return binary @ walk.astype(np.float32)


def pure_svd(binary: np.ndarray, stars: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """Cremonesi et al. 2010: the rank-k SVD of the star matrix (zeros where unrated);
    scores R·V_k·V_kᵀ."""
    v = _right_singular_vectors(stars)[:, : p["k"]]
    return (stars @ v @ v.T).astype(np.float32)


_SVD_CACHE: dict[bytes, np.ndarray] = {}


def _right_singular_vectors(stars: np.ndarray) -> np.ndarray:
    """V of R = UΣVᵀ, columns by falling singular value: eigenvectors of RᵀR, computed once
    per matrix (every k of a search truncates the same ones)."""
    key = hashlib.sha1(stars.tobytes()).digest()
    if key not in _SVD_CACHE:
        _, vectors = np.linalg.eigh(stars.T.astype(np.float64) @ stars)
        _SVD_CACHE.clear()
        _SVD_CACHE[key] = vectors[:, ::-1].astype(np.float32)
    return _SVD_CACHE[key]


def ials(binary: np.ndarray, stars: np.ndarray, p: dict[str, Any]) -> np.ndarray:
    """Hu, Koren & Volinsky 2008 through ``implicit``: confidence 1 + α on rated cells."""
    from implicit.cpu.als import AlternatingLeastSquares
    from scipy.sparse import csr_matrix

    model = AlternatingLeastSquares(
        factors=p["factors"], regularization=p["reg"], alpha=p["alpha"], iterations=15,
        random_state=0, num_threads=2,
    )  # fmt: skip
    with warnings.catch_warnings():  # implicit's note on BLAS threads
        warnings.simplefilter("ignore")
        model.fit(csr_matrix(binary), show_progress=False)
    return np.asarray(model.user_factors @ model.item_factors.T, np.float32)


def _suggest_ease(t: optuna.trial.BaseTrial) -> dict[str, Any]:
    return {"lambda": t.suggest_float("lambda", 10.0, 5000.0, log=True)}


def _suggest_rp3(t: optuna.trial.BaseTrial) -> dict[str, Any]:
    return {"alpha": t.suggest_float("alpha", 0.3, 1.5), "beta": t.suggest_float("beta", 0.0, 1.0)}


def _suggest_svd(t: optuna.trial.BaseTrial) -> dict[str, Any]:
    return {"k": t.suggest_int("k", 5, 200, log=True)}


def _suggest_ials(t: optuna.trial.BaseTrial) -> dict[str, Any]:
    return {
        "factors": t.suggest_int("factors", 16, 256, log=True),
        "reg": t.suggest_float("reg", 0.01, 100.0, log=True),
        "alpha": t.suggest_float("alpha", 0.5, 50.0, log=True),
    }


ANCHORS: dict[str, tuple[Fit, Callable[[optuna.trial.BaseTrial], dict[str, Any]], int]] = {
    "EASE": (ease, _suggest_ease, 12),
    "iALS (implicit)": (ials, _suggest_ials, 20),
    "RP3beta": (rp3beta, _suggest_rp3, 20),
    "PureSVD": (pure_svd, _suggest_svd, 12),
}
"""name → (fit, search space, trials)."""


class MatrixScorer:
    """Scores from a dense users × films matrix, through the evaluation's Scorer interface."""

    def __init__(self, users: Vocabulary, items: Vocabulary, scores: np.ndarray) -> None:
        self.users, self.items, self.scores = users, items, scores

    def predict_pairs(self, user_ids: np.ndarray, item_ids: np.ndarray) -> None:
        return None

    def score_users(self, user_ids: np.ndarray) -> torch.Tensor:
        rows = self.users.rows(user_ids)
        out = self.scores[np.maximum(rows, 0)].copy()
        out[rows < 0] = 0.0
        return torch.from_numpy(out)


def _matrices(train: pd.DataFrame) -> tuple[Vocabulary, Vocabulary, np.ndarray, np.ndarray]:
    users = Vocabulary(train["user_id"].to_numpy())
    items = Vocabulary(train["item_id"].to_numpy())
    u, i = users.rows(train["user_id"].to_numpy()), items.rows(train["item_id"].to_numpy())
    binary = np.zeros((len(users), len(items)), np.float32)
    stars = np.zeros_like(binary)
    binary[u, i] = 1.0
    stars[u, i] = train["rating"].to_numpy(np.float32)
    return users, items, binary, stars


def ndcg(fit: Fit, settings: dict[str, Any], train: pd.DataFrame, test: pd.DataFrame) -> float:
    return fit_and_rank(fit, settings, train, test)["ndcg@10"]


def fit_and_rank(
    fit: Fit, settings: dict[str, Any], train: pd.DataFrame, test: pd.DataFrame
) -> dict[str, float]:
    users, items, binary, stars = _matrices(train)
    scorer = MatrixScorer(users, items, fit(binary, stars, settings))
    return rank(scorer.score_users, items, train, test)


def tuned_anchor(name: str, train: pd.DataFrame, test: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Settings chosen on a 10% validation split of ``train``, then scored on ``test``."""
    fit, space, trials = ANCHORS[name]
    fit_part, valid = validation_split(train, 0.1, seed)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed, n_startup_trials=6)
    )
    study.optimize(lambda t: ndcg(fit, space(t), fit_part, valid), n_trials=trials)
    settings = space(optuna.trial.FixedTrial(study.best_params))
    return {**fit_and_rank(fit, settings, train, test), "settings": settings}


def anchor_scores(
    ratings: pd.DataFrame, folds: int, seed: int, on_fold: Callable[[str, int, float], None]
) -> dict[str, dict[str, Any]]:
    """Every anchor on every fold of ``kfold_splits(ratings, folds, seed)``: mean ranking
    metrics, and the settings validation chose on each fold."""
    from recsys.evaluate import kfold_splits

    per: dict[str, list[dict[str, Any]]] = {name: [] for name in ANCHORS}
    for f, (train, test) in enumerate(kfold_splits(ratings, folds, seed)):
        for name in ANCHORS:
            result = tuned_anchor(name, train, test, seed)
            per[name].append(result)
            on_fold(name, f, result["ndcg@10"])
    return {
        name: {
            **{
                key: float(np.mean([r[key] for r in results]))
                for key in results[0]
                if key != "settings"
            },
            "settings": [r["settings"] for r in results],
        }
        for name, results in per.items()
    }
