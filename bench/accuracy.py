"""Accuracy on MovieLens 100k: this project's model, its baselines, scikit-surprise's SVD
and SVD++, and the ranking anchors of bench/anchors.py (EASE, iALS, RP3beta, PureSVD, each
tuned on validation) on the same 5 folds (seed 0); then the new-user protocol; then what the
genre prior does for films with few ratings (recsys/genre_eval.py).

    python bench/accuracy.py [--folds 5] [--seed 0] [--skip-surprise] [--skip-anchors]
    python bench/accuracy.py --engine spark    # parity of the Spark engine (spark_parity.py)

Writes bench/results/accuracy.json and accuracy.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from anchors import anchor_scores
from common import markdown_table, movielens_100k, write

from recsys.config import TrainConfig
from recsys.evaluate import evaluate_folds, evaluate_new_users, kfold_splits
from recsys.genre_eval import evaluate_genre_prior
from recsys.metrics import mae, rmse


def surprise_scores(ratings: pd.DataFrame, folds: int, seed: int) -> dict[str, dict[str, float]]:
    """RMSE/MAE of surprise's SVD and SVD++ (defaults) on exactly our folds."""
    from surprise import SVD, Dataset, Reader, SVDpp

    results: dict[str, list[dict[str, float]]] = {"surprise SVD": [], "surprise SVD++": []}
    reader = Reader(rating_scale=(1, 5))
    for train, test in kfold_splits(ratings, folds, seed):
        trainset = Dataset.load_from_df(
            train[["user_id", "item_id", "rating"]], reader
        ).build_full_trainset()
        for name, algo in (
            ("surprise SVD", SVD(random_state=seed)),
            ("surprise SVD++", SVDpp(random_state=seed)),
        ):
            started = time.perf_counter()
            algo.fit(trainset)
            fit_seconds = time.perf_counter() - started
            predicted = np.array(
                [
                    algo.predict(u, i).est
                    for u, i in zip(test["user_id"], test["item_id"], strict=True)
                ]
            )
            actual = test["rating"].to_numpy()
            results[name].append(
                {
                    "rmse": rmse(predicted, actual),
                    "mae": mae(predicted, actual),
                    "fit_seconds": fit_seconds,
                }
            )
            print(f"  {name}: rmse {results[name][-1]['rmse']:.4f}", flush=True)
    return {
        name: {key: float(np.mean([f[key] for f in folds_])) for key in folds_[0]}
        for name, folds_ in results.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-surprise", action="store_true")
    parser.add_argument("--engine", choices=["torch", "spark"], default="torch")
    parser.add_argument("--spark-master", default="local[2]")
    parser.add_argument("--skip-anchors", action="store_true")
    args = parser.parse_args()
    if args.engine == "spark":
        from spark_parity import run

        run(args.folds, args.seed, args.spark_master)
        return
    dataset = movielens_100k()
    ratings, genres = dataset.ratings, dataset.catalog.genres_by_item()

    print("k-fold: model and baselines", flush=True)
    report = evaluate_folds(
        ratings,
        args.folds,
        args.seed,
        on_fold=lambda f, r: print(
            f"  fold {f}: rmse {r['model']['rmse']:.4f} ndcg@10 {r['model']['ndcg@10']:.4f}",
            flush=True,
        ),
        genres=genres,
    )
    rows = {"moviebot (served model)": report["model"], **report["baselines"]}
    if not args.skip_surprise:
        print("surprise", flush=True)
        rows.update(surprise_scores(ratings, args.folds, args.seed))
    anchors = {}
    if not args.skip_anchors:
        print("ranking anchors, each tuned on validation", flush=True)
        anchors = anchor_scores(
            ratings,
            args.folds,
            args.seed,
            lambda name, f, ndcg: print(f"  {name} fold {f}: ndcg@10 {ndcg:.4f}", flush=True),
        )
        rows.update(anchors)
    print("new users (20% left out, folded in from 10 ratings)", flush=True)
    new_users = evaluate_new_users(ratings, seed=args.seed, genres=genres)
    print("genre prior: films with few ratings, prior off and on", flush=True)
    prior = evaluate_genre_prior(ratings, genres, folds=args.folds, seed=args.seed)

    columns = ["rmse", "mae", "precision@10", "recall@10", "ndcg@10", "coverage@10", "fit_seconds"]
    table = markdown_table(
        ["model", *columns],
        [
            [
                name,
                *(
                    f"{m[c]:.4f}"
                    if c in m and c != "fit_seconds"
                    else f"{m[c]:.2f}"
                    if c in m
                    else "–"
                    for c in columns
                ),
            ]
            for name, m in rows.items()
        ],
    )
    folded, trained = new_users["folded_in"], new_users["trained_in"]
    table += "\n\n" + markdown_table(
        ["new users", "rmse", "ndcg@10", "precision@10"],
        [
            [
                name,
                f"{m['rmse']:.4f}" if "rmse" in m else "–",
                f"{m['ndcg@10']:.4f}",
                f"{m['precision@10']:.4f}",
            ]
            for name, m in new_users.items()
        ],
    )
    gap = folded["rmse"] / trained["rmse"] - 1
    table += f"\n\nfold-in RMSE is {gap:+.2%} against the same users trained in."
    table += "\n\n" + genre_prior_table(prior)
    write(
        "accuracy",
        {
            "kfold": report,
            "table": rows,
            "anchors": anchors,
            "new_users": new_users,
            "new_user_rmse_gap": gap,
            "genre_prior": prior,
        },
        table,
    )


def genre_prior_table(prior: dict[str, dict[str, dict[str, float]]]) -> str:
    """RMSE without and with the prior, per setting: overall and on rare films in k-fold,
    on the hidden ratings of the films made cold otherwise."""
    rows = []
    for setting, variants in prior.items():
        off, on = variants["without prior"], variants["with prior"]
        keys = ["rmse", *(k for k in off if k.startswith("rmse films"))]
        if setting != "k-fold":
            keys = ["rmse"]
        for key in keys:
            label = setting if key == "rmse" else f"{setting}, {key.removeprefix('rmse ')}"
            change = on[key] / off[key] - 1
            rows.append([label, f"{off[key]:.4f}", f"{on[key]:.4f}", f"{change:+.1%}"])
    kappa = f"with (κ = {TrainConfig().genre_prior:g})"
    return markdown_table(["genre prior: RMSE on", "without", kappa, "change"], rows)


if __name__ == "__main__":
    main()
