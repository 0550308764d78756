"""How recognisable /similar's neighbours are, before and after: rank-head cosine against
co-ratings with a genre term, measured on users the model never saw.

One fifth of ML-100k's users (by a hash of their id) is held out; the model is trained on the
rest. For every film a held-out user liked (4+ stars), its ten most similar films are looked up:

* liked@10: the share of those ten the same user also liked;
* liked when seen: among those ten the user rated, the share they liked (fair to films that
  fewer people saw, which liked@10 is not);
* genre agreement: over every film, the share of its neighbours sharing a genre with it;
* same year: the share of neighbours released the same year (the rank head's tell);
* popularity rank: the median training-popularity rank of neighbours (1 = most rated).

Run: `.venv/bin/python -m bench.similarity` (writes bench/results/similarity.json).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from bench.common import latency_ms, markdown_table, movielens_100k, write
from recsys import FactorModel, TrainConfig, Trainer
from recsys.alike import Alike
from recsys.data.types import Catalog

Neighbours = Callable[[int], np.ndarray]  # item id -> its ten most similar item ids


def held_out_users(ratings: pd.DataFrame, share: int = 5) -> np.ndarray:
    """True for ratings of the held-out users: 1 in ``share`` users, by a hash of the id."""
    user = ratings["user_id"].to_numpy().astype(np.int64)
    held: np.ndarray = (user * 2654435761 % 2**32) % share == 0
    return held


def trained_without_held_out() -> tuple[FactorModel, Catalog, pd.DataFrame]:
    """(model trained on the other users, catalogue, the held-out users' ratings)."""
    data = movielens_100k()
    ratings, catalog = data.ratings, data.catalog
    held = held_out_users(ratings)
    started = time.perf_counter()
    model = Trainer(TrainConfig()).fit(ratings[~held], catalog.genres_by_item())
    print(f"trained on {int((~held).sum())} ratings in {time.perf_counter() - started:.0f} s")
    return model, catalog, ratings[held]


def measure(
    neighbours: Neighbours, model: FactorModel, catalog: Catalog, test: pd.DataFrame
) -> dict[str, float]:
    ids = [int(i) for i in model.item_ids if int(i) in catalog]
    lists = {i: neighbours(i) for i in ids}
    hits = seen = pairs = 0
    for _, group in test.groupby("user_id"):
        liked = set(group.loc[group["rating"] >= 4, "item_id"].tolist())
        rated = set(group["item_id"].tolist())
        for item in liked & lists.keys():
            shown = lists[item].tolist()
            hits += sum(j in liked for j in shown)
            seen += sum(j in rated for j in shown)
            pairs += 1
    popularity = model.item_popularity.numpy()
    rank = dict(zip(model.item_ids.tolist(), np.argsort(np.argsort(-popularity)) + 1, strict=True))
    genre_share, year_share, ranks = [], [], []
    for i in ids:
        mine, year = set(catalog.genres(i)), catalog.year(i)
        shown = lists[i].tolist()
        if not shown:
            continue
        genre_share.append(np.mean([bool(mine & set(catalog.genres(j))) for j in shown]))
        year_share.append(np.mean([year is not None and catalog.year(j) == year for j in shown]))
        ranks += [rank[j] for j in shown]
    return {
        "liked_at_10": hits / max(pairs * 10, 1),
        "liked_when_seen": hits / max(seen, 1),
        "genre_agreement": float(np.mean(genre_share)),
        "same_year": float(np.mean(year_share)),
        "median_popularity_rank": float(np.median(ranks)),
    }


def main() -> None:
    model, catalog, test = trained_without_held_out()
    served = Alike(model, catalog)
    fallback = Alike(replace(model, similar=None), catalog)

    def rank_cosine(item: int) -> np.ndarray:
        ids, _ = model.similar_items(item, n=30)
        return ids[np.isin(ids, catalog.item_ids)][:10]

    methods: dict[str, Neighbours] = {
        "rank-head cosine (before)": rank_cosine,
        "co-ratings, adjusted cosine": lambda i: _trained_only(model, i),
        "co-ratings + genre (served)": lambda i: served.similar(i, 10)[0],
        "star-head cosine + genre (fallback)": lambda i: fallback.similar(i, 10)[0],
    }
    results = {name: measure(f, model, catalog, test) for name, f in methods.items()}
    timings = []
    for item in model.item_ids.tolist():
        start = time.perf_counter()
        served.similar(item, 10)
        timings.append(time.perf_counter() - start)
    latency = latency_ms(timings)
    rows = [
        [
            name,
            f"{r['liked_at_10']:.3f}",
            f"{r['liked_when_seen']:.3f}",
            f"{r['genre_agreement']:.3f}",
            f"{r['same_year']:.3f}",
            f"{r['median_popularity_rank']:.0f}",
        ]
        for name, r in results.items()
    ]
    header = ["similarity", "liked@10", "liked when seen", "genre agreement", "same year",
              "median popularity rank"]  # fmt: skip
    table = markdown_table(header, rows)
    table += (
        f"\n\nServed /similar look-up: median {latency['median_ms']:.3f} ms, "
        f"p99 {latency['p99_ms']:.3f} ms over {latency['n']} films."
    )
    write("similarity", {"methods": results, "latency": latency, "held_out_share": 0.2}, table)


def _trained_only(model: FactorModel, item: int) -> np.ndarray:
    """The trained co-rating list alone, without the genre term."""
    assert model.similar is not None
    row = model.items.row(item)
    rows, _ = model.similar.of(row if row is not None else 0)
    ids: np.ndarray = model.item_ids[rows[:10]]
    return ids


if __name__ == "__main__":
    main()
