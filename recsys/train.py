"""Training: both heads of the served model, early stopping on a validation split, history.

``Trainer(config).fit(ratings, genres)`` returns a finished, immutable :class:`FactorModel`.
The number of epochs is chosen on a random validation share of the ratings; the model is then
fitted again on all of them for that many epochs, so no rating is wasted on validation.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import torch

from recsys.als import (
    AlsStarSolver,
    init_factors,
    refit_users,
    state_predictions,
    state_rmse,
    wmf_sweep,
)
from recsys.bayes import BayesHead, fit_bayes
from recsys.blend import Blend
from recsys.config import TrainConfig
from recsys.genres import GenrePrior, fit_genre_prior, genre_membership, shrink_to_genres
from recsys.interactions import Interactions
from recsys.metrics import RELEVANT_STARS
from recsys.model import FactorModel, FoldInSettings
from recsys.neighbours import NeighbourHead, fit_neighbours, predict_pairs
from recsys.probe import RankProbe
from recsys.rankscale import RankWeights, rank_weights
from recsys.sgd import AdamStarSolver
from recsys.similarity import fit_similar
from recsys.star import StarSolver, StarState
from recsys.stopping import best_epoch, chosen_epoch, stalled

EpochCallback = Callable[[str, dict[str, float]], None]
"""Called after every epoch with the head's name ("star" or "rank") and its metrics."""


def fingerprint(ratings: pd.DataFrame) -> str:
    """A short hash of the (user, item, stars) triples, independent of row order."""
    frame = ratings[["user_id", "item_id", "rating"]].sort_values(["user_id", "item_id"])
    digest = hashlib.sha256()
    for column in ("user_id", "item_id", "rating"):
        digest.update(np.ascontiguousarray(frame[column].to_numpy()).tobytes())
    return digest.hexdigest()[:16]


@dataclass
class _Run:
    """What one pass over a (train, validation) pair produced."""

    star: StarState
    rank_users: torch.Tensor
    rank_items: torch.Tensor
    rank_weights: RankWeights  # what the rank head was fitted with: fold-in solves with them
    neighbours: NeighbourHead | None
    bayes: BayesHead | None = None
    genre_prior: GenrePrior | None = None
    star_history: list[dict[str, float]] = field(default_factory=list)
    rank_history: list[dict[str, float]] = field(default_factory=list)


class Trainer:
    """Fits the two-head factor model described by a :class:`TrainConfig`."""

    def __init__(self, config: TrainConfig | None = None, on_epoch: EpochCallback | None = None):
        self.config = config or TrainConfig()
        self.on_epoch = on_epoch or (lambda head, metrics: None)
        self._genres: tuple[tuple[str, ...], np.ndarray] | None = None  # set by fit
        self._scale = (1.0, 5.0)  # set by fit: the lowest and highest stars in the data

    def fit(
        self, ratings: pd.DataFrame, genres: Mapping[int, Sequence[str]] | None = None
    ) -> FactorModel:
        """Train on ``ratings``; ``genres`` (the catalogue's, by item id) turns on the genre
        prior for films with few ratings (``TrainConfig.genre_prior``)."""
        cfg = self.config
        if len(ratings) == 0:
            raise ValueError("cannot train on an empty set of ratings")
        started = time.perf_counter()
        data = Interactions.from_frame(ratings)
        global_mean = float(data.ratings.mean())
        self._scale = (float(data.ratings.min()), float(data.ratings.max()))
        self._genres = (
            genre_membership(data.items.ids, genres)
            if genres is not None and cfg.genre_prior > 0
            else None
        )
        history: dict[str, Any] = {}
        blend = Blend()
        if cfg.validation_share > 0:
            train, valid = data.split(cfg.validation_share, cfg.seed)
            run = self._run(train, valid, global_mean, cfg.epochs, cfg.rank_sweeps)
            history = {"star": run.star_history, "rank": run.rank_history}
            if run.neighbours is not None or run.bayes is not None:
                blend = _fit_blend(run, train, valid, global_mean, cfg)
                history["blend"] = blend.to_list()
            # The split's row matrices and chunk plans (~1 GB at 25M ratings) are done with;
            # the refit builds its own over all ratings.
            del train, valid
            if cfg.refit:
                run = self._refit(run, data, global_mean)
        else:
            run = self._run(data, None, global_mean, cfg.epochs, cfg.rank_sweeps)
            history = {"star": run.star_history, "rank": run.rank_history}
        return self._finalize(ratings, data, global_mean, run, history, blend, started)

    # ------------------------------------------------------------------ heads

    def _run(
        self,
        train: Interactions,
        valid: Interactions | None,
        global_mean: float,
        star_epochs: int,
        rank_sweeps: int,
    ) -> _Run:
        seed = self.config.seed
        star, star_history = self._fit_star(
            train, valid, global_mean, star_epochs, torch.Generator().manual_seed(seed)
        )
        star, prior = self._apply_genre_prior(star, train, global_mean)
        # A generator of its own, as in the refit: the rank head must not change with the
        # number of star epochs (tune compares star settings with the rank head fixed).
        rank_generator = torch.Generator().manual_seed(seed)
        weights = self._rank_weights(train)
        users, items, rank_history = self._fit_rank(
            train, valid, weights, rank_sweeps, rank_generator
        )
        neighbours = self._fit_neighbours(train)
        bayes = self._fit_bayes(train) if valid is not None else None  # only a blend uses it
        return _Run(
            star, users, items, weights, neighbours, bayes, prior, star_history, rank_history
        )

    def _apply_genre_prior(
        self, star: StarState, train: Interactions, global_mean: float
    ) -> tuple[StarState, GenrePrior | None]:
        """Films with few ratings pulled towards their genres' means (recsys/genres.py), then
        the users solved again against the moved films."""
        if self._genres is None:
            return star, None
        cfg = self.config
        names, membership = self._genres
        counts = np.bincount(train.item_rows, minlength=train.n_items).astype(np.float64)
        factors = star.item_factors.numpy()
        prior = fit_genre_prior(names, membership, factors, counts, cfg.genre_prior)
        item_factors = torch.from_numpy(shrink_to_genres(prior, membership, factors, counts))
        user_bias, user_factors = refit_users(
            star.item_bias, item_factors, star.implicit_factors, train, global_mean,
            cfg.reg_factors, cfg.reg_bias,
        )  # fmt: skip
        moved = replace(star, user_bias=user_bias, user_factors=user_factors)
        return replace(moved, item_factors=item_factors), prior

    def _refit(self, run: _Run, data: Interactions, global_mean: float) -> _Run:
        """Bring in the validation share: every user is solved again on all their ratings
        (fold-in's closed form, items fixed), and the cheap heads are fitted again for the
        number of sweeps validation chose."""
        cfg = self.config
        user_bias, user_factors = refit_users(
            run.star.item_bias, run.star.item_factors, run.star.implicit_factors,
            data, global_mean, cfg.reg_factors, cfg.reg_bias,
        )  # fmt: skip
        star = replace(run.star, user_bias=user_bias, user_factors=user_factors)
        best_rank = best_epoch(run.rank_history, "val_ndcg@10", minimise=False)
        generator = torch.Generator().manual_seed(cfg.seed)
        weights = self._rank_weights(data)
        users, items, _ = self._fit_rank(data, None, weights, best_rank, generator, report=False)
        neighbours = self._fit_neighbours(data)
        bayes = self._fit_bayes(data, run.bayes) if run.bayes is not None else None
        return replace(
            run, star=star, rank_users=users, rank_items=items, rank_weights=weights,
            neighbours=neighbours, bayes=bayes,
        )  # fmt: skip

    def _fit_neighbours(self, train: Interactions) -> NeighbourHead | None:
        cfg = self.config
        if cfg.neighbours <= 0:
            return None
        cap = cfg.neighbour_max_items or None
        return fit_neighbours(train, cfg.neighbours, cfg.neighbour_shrinkage, max_items=cap)

    def _fit_bayes(self, train: Interactions, start: BayesHead | None = None) -> BayesHead | None:
        """The Bayesian head; the refit continues the validation run's chain (``start``),
        so a quarter of the burn-in does."""
        cfg = self.config
        if cfg.bayes_samples <= 0:
            return None
        burn_in = cfg.bayes_burn_in if start is None else cfg.bayes_burn_in // 4
        k, samples = cfg.bayes_factors, cfg.bayes_samples
        return fit_bayes(train, k, samples, burn_in, cfg.seed, start)

    def _star_solver(
        self, train: Interactions, global_mean: float, generator: torch.Generator
    ) -> StarSolver:
        cfg = self.config
        if cfg.star_solver == "adam":
            return AdamStarSolver(train, cfg, global_mean, generator)
        if cfg.star_solver == "als":
            return AlsStarSolver(train, cfg, global_mean, generator, self._scale)
        raise ValueError(f"unknown star solver {cfg.star_solver!r}")

    def _fit_star(
        self,
        train: Interactions,
        valid: Interactions | None,
        global_mean: float,
        epochs: int,
        generator: torch.Generator,
    ) -> tuple[StarState, list[dict[str, float]]]:
        cfg = self.config
        solver = self._star_solver(train, global_mean, generator)
        history: list[dict[str, float]] = []
        best: tuple[float, StarState] | None = None
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            train_rmse = solver.epoch()
            state = solver.state()
            metrics = {"epoch": epoch, "train_rmse": train_rmse}
            if valid is not None:
                metrics["val_rmse"] = state_rmse(state, global_mean, valid, self._scale)
            metrics["seconds"] = time.perf_counter() - started
            history.append(metrics)
            self.on_epoch("star", metrics)
            if valid is None:
                best = (0.0, state)
                continue
            if best is None or metrics["val_rmse"] < best[0]:
                best = (metrics["val_rmse"], state)
            # Checked after a new best too: a best by a hair is still no progress.
            if stalled(history, "val_rmse", cfg.patience, True, cfg.min_improvement):
                break
        assert best is not None
        return best[1], history

    def _rank_weights(self, data: Interactions) -> RankWeights:
        return rank_weights(self.config, data.n_users, data.n_items, len(data))

    def _fit_rank(
        self,
        train: Interactions,
        valid: Interactions | None,
        weights: RankWeights,
        sweeps: int,
        generator: torch.Generator,
        report: bool = True,
    ) -> tuple[torch.Tensor, torch.Tensor, list[dict[str, float]]]:
        cfg = self.config
        users = init_factors(train.n_users, cfg.rank_factors, generator)
        items = init_factors(train.n_items, cfg.rank_factors, generator)
        history: list[dict[str, float]] = []
        best = (-1.0, users, items)
        probe = RankProbe(train, valid, cfg.seed) if valid is not None else None
        for sweep in range(1, sweeps + 1):
            started = time.perf_counter()
            users, items = wmf_sweep(train, users, items, weights.unobserved_weight, weights.reg)
            metrics: dict[str, float] = {"epoch": sweep}
            if probe is not None:
                metrics["val_ndcg@10"] = probe.ndcg(users, items)
            metrics["seconds"] = time.perf_counter() - started
            history.append(metrics)
            if report:
                self.on_epoch("rank", metrics)
            if probe is None:
                best = (0.0, users, items)
                continue
            if metrics["val_ndcg@10"] > best[0]:
                best = (metrics["val_ndcg@10"], users, items)
            if stalled(history, "val_ndcg@10", cfg.patience, False, cfg.min_improvement):
                break
        return best[1], best[2], history

    # ------------------------------------------------------------------ result

    def _finalize(
        self,
        ratings: pd.DataFrame,
        data: Interactions,
        global_mean: float,
        run: _Run,
        history: dict[str, Any],
        blend: Blend,
        started: float,
    ) -> FactorModel:
        cfg = self.config
        neighbours, bayes = blend.uses()
        keep_ratings = neighbours or blend.has_support  # both need each user's ratings
        liked = np.bincount(
            data.item_rows[data.ratings >= RELEVANT_STARS], minlength=data.n_items
        ).astype(np.float32)
        low, high = float(ratings["rating"].min()), float(ratings["rating"].max())
        metadata = {
            "engine": "torch",  # recsys/spark writes "spark"
            "config": cfg.to_dict(),
            "data_fingerprint": fingerprint(ratings),
            "n_ratings": len(data),
            "history": history,
            "epochs": {
                "star": chosen_epoch(history.get("star", []), "val_rmse", minimise=True),
                "rank": chosen_epoch(history.get("rank", []), "val_ndcg@10", minimise=False),
            },
            "fit_seconds": round(time.perf_counter() - started, 3),
            "trained_at": int(time.time()),
            "metrics": {},
        }
        return FactorModel(
            items=data.items,
            users=data.users,
            global_mean=global_mean,
            item_bias=run.star.item_bias,
            item_factors=run.star.item_factors,
            implicit_factors=run.star.implicit_factors,
            user_bias=run.star.user_bias,
            user_factors=run.star.user_factors,
            rank_item_factors=run.rank_items.contiguous(),
            rank_user_factors=run.rank_users.contiguous(),
            item_popularity=torch.from_numpy(liked),
            fold_in_settings=FoldInSettings(
                star_reg_factors=cfg.reg_factors,
                star_reg_bias=cfg.reg_bias,
                star_weighted_reg=True,
                rank_reg=run.rank_weights.reg,
                rank_unobserved_weight=run.rank_weights.unobserved_weight,
            ),
            rating_scale=(low, high),
            unseen_item_stars=_rare_film_stars(data),
            neighbours=run.neighbours if neighbours else None,
            rated=data.by_user if keep_ratings else None,
            bayes=run.bayes if bayes else None,
            blend=blend,
            genre_prior=run.genre_prior,
            similar=fit_similar(data, max_items=cfg.neighbour_max_items or None),
            metadata=metadata,
        )


_BLEND_SAMPLE = 200_000  # three weights need far fewer pairs than a big data set has


def _fit_blend(
    run: _Run, train: Interactions, valid: Interactions, global_mean: float, cfg: TrainConfig
) -> Blend:
    """The blend of star head, neighbour head, rank-head score and Bayesian head that fits
    validation best (heads turned off get weight 0)."""
    if len(valid) > _BLEND_SAMPLE:
        pick = np.random.default_rng(cfg.seed).choice(len(valid), _BLEND_SAMPLE, replace=False)
        valid = valid.subset(np.sort(pick))
    star = state_predictions(run.star, global_mean, valid).numpy().astype(np.float64)
    other = (
        predict_pairs(run.neighbours, train.by_user, valid.user_rows, valid.item_rows)
        if run.neighbours is not None
        else None
    )
    u, i = torch.from_numpy(valid.user_rows), torch.from_numpy(valid.item_rows)
    taste = (run.rank_users[u] * run.rank_items[i]).sum(1).numpy().astype(np.float64)
    bayes = (
        run.bayes.predict_pairs(valid.user_rows, valid.item_rows) if run.bayes is not None else None
    )
    # Rating counts as the served model will see them: the refit has all the ratings.
    grow = 1.0 / (1.0 - cfg.validation_share) if cfg.refit else 1.0
    user_counts = np.bincount(train.user_rows, minlength=train.n_users) * grow
    item_counts = np.bincount(train.item_rows, minlength=train.n_items) * grow
    support = (user_counts[valid.user_rows], item_counts[valid.item_rows])
    return Blend.fit(
        star, other, taste, valid.ratings, bayes, support if cfg.blend_support else None
    )


def _rare_film_stars(data: Interactions, at_most: int = 2) -> float:
    """The mean star of films with at most ``at_most`` ratings (the global mean without any):
    the best guess for a film the model has not seen at all."""
    counts = np.bincount(data.item_rows, minlength=data.n_items)
    rare = counts[data.item_rows] <= at_most
    return float(data.ratings[rare].mean()) if rare.any() else float(data.ratings.mean())
