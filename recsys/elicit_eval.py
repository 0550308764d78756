"""Offline measurement of question strategies with simulated new users.

A share of users is left out of training; each is asked questions one at a time and answers
from their real ratings (a film they never rated is a "haven't seen": answered, but nothing
learnt). After 5, 10, 20 questions the user is folded in from what was collected and scored on
the ratings they were not asked about; or, with ``held_out``, on a fixed share of their ratings
that no strategy may ask about, so that every strategy is scored on the same films (asking about
a film the user has seen otherwise takes it out of their test: a strategy that finds nothing
seen keeps every easy hit).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from recsys.config import TrainConfig
from recsys.data.types import Catalog
from recsys.elicit import Elicitor
from recsys.evaluate import new_user_split
from recsys.metrics import RELEVANT_STARS, ndcg_at_k
from recsys.model import FactorModel
from recsys.train import Trainer

K = 10

Ask = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.random.Generator], int | None]
"""(rated ids, their stars, answered ids, ids it may not ask, rng) -> the next film to ask
about, or None."""


def ask_adaptively(model: FactorModel) -> Ask:
    """This project's strategy: :class:`recsys.elicit.Elicitor`."""
    elicitor = Elicitor(model)

    def ask(
        rated: np.ndarray,
        stars: np.ndarray,
        answered: np.ndarray,
        blocked: np.ndarray,
        rng: np.random.Generator,
    ) -> int | None:
        # Held-out films are ruled out, not answered: the user has seen them, and nothing
        # about them may reach the choice.
        picked = elicitor.next_items(rated, stars, answered, 1, exclude=blocked, rng=rng)
        return int(picked[0]) if len(picked) else None

    return ask


def ask_by_popularity(model: FactorModel) -> Ask:
    """The best-known films first (most 4+ ratings), the same order for everyone."""
    order = model.item_ids[np.argsort(-model.item_popularity.numpy(), kind="stable")]

    def ask(
        rated: np.ndarray,
        stars: np.ndarray,
        answered: np.ndarray,
        blocked: np.ndarray,
        rng: np.random.Generator,
    ) -> int | None:
        out = np.concatenate([answered, blocked])
        head = order[: len(out) + 1]  # holds at least one film not yet answered nor blocked
        left = head[~np.isin(head, out)]
        return int(left[0]) if len(left) else None

    return ask


def ask_at_random(model: FactorModel) -> Ask:
    """Any film of the catalogue, uniformly."""
    ids = model.item_ids

    def ask(
        rated: np.ndarray,
        stars: np.ndarray,
        answered: np.ndarray,
        blocked: np.ndarray,
        rng: np.random.Generator,
    ) -> int | None:
        left = ids[~np.isin(ids, np.concatenate([answered, blocked]))]
        return int(rng.choice(left)) if len(left) else None

    return ask


STRATEGIES: dict[str, Callable[[FactorModel], Ask]] = {
    "adaptive": ask_adaptively,
    "popularity": ask_by_popularity,
    "random": ask_at_random,
}


def run_elicitation_eval(
    ratings: pd.DataFrame,
    catalog: Catalog | None = None,
    questions: Sequence[int] = (5, 10, 20),
    seed: int = 0,
    *,
    user_share: float = 0.2,
    config: TrainConfig | None = None,
    max_users: int | None = None,
    strategies: dict[str, Callable[[FactorModel], Ask]] | None = None,
    held_out: float = 0.0,
    rank_unseen: bool = False,
) -> dict[str, Any]:
    """Train once without ``user_share`` of the users (chosen with ``seed``), then question
    each left-out user with every strategy.

    Per strategy and number of questions, means over users of: ``ndcg@10`` (all films ranked
    but the answered ones; relevant: the user's other ratings of 4+; users with none are
    skipped), ``rmse`` on the user's other ratings, and ``rated`` (questions the user could
    answer). ``questions`` may include 0: the model knowing nothing. With a ``catalog`` the
    result also lists the first questions asked to a user who has seen none of them.
    ``max_users`` questions only that many of the left-out users (a seeded sample: on ML-25M
    a fifth of the users is 32,000 of them); ``strategies`` replaces ``STRATEGIES``;
    ``held_out`` scores every user on that share of their ratings, never asked about;
    ``rank_unseen`` leaves the films answered "haven't seen" in the ranking (see simulate).
    """
    if not questions or min(questions) < 0:
        raise ValueError("questions must be numbers of questions, 0 or more")
    started = time.perf_counter()
    split = new_user_split(ratings, user_share, known=0, seed=seed)
    model = Trainer(config).fit(split.train, catalog.genres_by_item() if catalog else None)
    trained = time.perf_counter()
    hidden = split.hidden
    users = hidden["user_id"].unique()
    if max_users is not None and len(users) > max_users:
        chosen = np.random.default_rng(seed).choice(users, max_users, replace=False)
        hidden = hidden[hidden["user_id"].isin(chosen)]
    # The taps run as the bot serves them (bot/runtime.py): one thread per product, so the
    # threads training woke do not spin against the timed choices.
    with threadpool_limits(1):
        result = simulate(model, hidden, questions, seed, strategies, held_out, rank_unseen)
    result["seconds"] = {
        "train": round(trained - started, 2),
        "simulate": round(time.perf_counter() - trained, 2),
    }
    if catalog is not None:
        result["first_questions"] = first_questions(model, catalog, max(questions), seed)
    return result


def simulate(
    model: FactorModel,
    ratings: pd.DataFrame,
    questions: Sequence[int] = (5, 10, 20),
    seed: int = 0,
    strategies: dict[str, Callable[[FactorModel], Ask]] | None = None,
    held_out: float = 0.0,
    rank_unseen: bool = False,
) -> dict[str, Any]:
    """Question every user of ``ratings`` (none of them in ``model``) with each strategy;
    ``held_out``: score on that share of each user's ratings, which no strategy may ask.

    Every film answered is left out of the user's ranking, as the bot leaves rated and
    dismissed films out of /recommend; a "haven't seen" film is never a test film, so a
    strategy that asks about films the model would rank high clears those places.
    ``rank_unseen`` ranks the films answered "haven't seen" again, to show that share."""
    if not 0.0 <= held_out < 1.0:
        raise ValueError("held_out must be a share in [0, 1)")
    checkpoints = sorted(set(questions))
    strategies = strategies or STRATEGIES
    users = [
        (
            int(cast(int, user)),
            group["item_id"].to_numpy(np.int64),
            group["rating"].to_numpy(np.float64),
        )
        for user, group in ratings.groupby("user_id")
    ]
    report: dict[str, list[dict[str, float]]] = {}
    for name, make in strategies.items():
        ask = make(model)
        per_user = [
            _question(model, ask, user, seed, checkpoints, held_out, rank_unseen) for user in users
        ]
        report[name] = [
            {
                "questions": q,
                f"ndcg@{K}": _mean([u[q][f"ndcg@{K}"] for u in per_user]),
                "rmse": _mean([u[q]["rmse"] for u in per_user]),
                "rated": _mean([u[q]["rated"] for u in per_user]),
            }
            for q in checkpoints
        ]
    return {
        "questions": checkpoints,
        "users": len(users),
        "held_out": held_out,
        "rank_unseen": rank_unseen,
        "strategies": report,
    }


def _question(
    model: FactorModel,
    ask: Ask,
    user: tuple[int, np.ndarray, np.ndarray],
    seed: int,
    checkpoints: list[int],
    held_out: float = 0.0,
    rank_unseen: bool = False,
) -> dict[int, dict[str, float]]:
    """One simulated user answering up to ``max(checkpoints)`` questions."""
    user_id, item_ids, stars = user
    known = model.items.rows(item_ids) >= 0
    item_ids, stars = item_ids[known], stars[known]  # films the model never saw can't be asked
    rng = np.random.default_rng((seed, user_id))
    if held_out:  # scored on these; answers come from the rest
        test = rng.random(len(item_ids)) < held_out
        blocked = item_ids[test]
        star_of = dict(zip(item_ids[~test].tolist(), stars[~test].tolist(), strict=True))
        item_ids, stars = item_ids[test], stars[test]
    else:  # scored on whatever they are not asked about
        blocked = np.empty(0, np.int64)
        star_of = dict(zip(item_ids.tolist(), stars.tolist(), strict=True))
    rated: list[int] = []
    given: list[float] = []
    answered: list[int] = []
    unranked = rated if rank_unseen else answered  # the same list, growing with the answers
    out: dict[int, dict[str, float]] = {}
    if 0 in checkpoints:  # the reference: what the model does knowing nothing
        out[0] = _score(model, rated, given, unranked, item_ids, stars)
    for asked in range(1, checkpoints[-1] + 1):
        item = ask(
            np.asarray(rated, np.int64),
            np.asarray(given),
            np.asarray(answered, np.int64),
            blocked,
            rng,
        )
        if item is None:
            break
        answered.append(item)
        if item in star_of:
            rated.append(item)
            given.append(star_of[item])
        if asked in checkpoints:
            out[asked] = _score(model, rated, given, unranked, item_ids, stars)
    for q in checkpoints:  # a strategy that ran out of films keeps its last score
        out.setdefault(q, _score(model, rated, given, unranked, item_ids, stars))
    return out


def _score(
    model: FactorModel,
    rated: list[int],
    given: list[float],
    answered: list[int],
    item_ids: np.ndarray,
    stars: np.ndarray,
) -> dict[str, float]:
    """NDCG@10 and RMSE on the ratings the user was not asked about; ``answered`` films are
    left out of the ranking."""
    vector = model.fold_in(np.asarray(rated, np.int64), np.asarray(given))
    other = ~np.isin(item_ids, answered)
    relevant = set(item_ids[other & (stars >= RELEVANT_STARS)].tolist())
    top, _ = model.recommend(vector, K, exclude=np.asarray(answered, np.int64))
    predicted = model.predict(vector, item_ids[other])
    errors = predicted.astype(np.float64) - stars[other]
    return {
        f"ndcg@{K}": ndcg_at_k(top.tolist(), relevant, K) if relevant else np.nan,
        "rmse": float(np.sqrt(np.mean(errors**2))) if len(errors) else np.nan,
        "rated": float(len(rated)),
    }


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else float("nan")


def first_questions(
    model: FactorModel, catalog: Catalog, n: int = 10, seed: int = 0
) -> dict[str, list[str]]:
    """What each strategy asks a cold user who has seen nothing: a sanity check by eye."""
    out: dict[str, list[str]] = {}
    for name, make in STRATEGIES.items():
        ask = make(model)
        rng = np.random.default_rng(seed)
        answered: list[int] = []
        for _ in range(n):
            empty = np.empty(0, np.int64)
            item = ask(empty, np.empty(0), np.asarray(answered, np.int64), empty, rng)
            if item is None:
                break
            answered.append(item)
        out[name] = [catalog.label(i) if i in catalog else str(i) for i in answered]
    return out


def format_elicitation_table(result: dict[str, Any]) -> str:
    """A Markdown table: per strategy, NDCG@10 and RMSE after each number of questions, and
    how many films the user could rate by the last one."""
    checkpoints = result["questions"]
    header = [
        "strategy",
        *(f"NDCG@{K} after {q}" for q in checkpoints),
        *(f"RMSE after {q}" for q in checkpoints),
        f"films rated of {checkpoints[-1]}",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, rows in result["strategies"].items():
        cells = [
            *(f"{row[f'ndcg@{K}']:.4f}" for row in rows),
            *(f"{row['rmse']:.4f}" for row in rows),
            f"{rows[-1]['rated']:.1f}",
        ]
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines)
