"""Does a /recommend list agree with itself, and with what people then rate? Before and after.

One fifth of ML-100k's users (by a hash of their id, as bench/similarity.py) is held out and the
model trained on the rest. Each held-out user's ratings are halved by a hash of (user, film):
the bot knows one half (folded in, as a new user is), the other half tells whether they liked
(4+ stars) the films they were shown. For the first page of ten:

* calibration: among films shown with a given number of stars, the share the user liked;
* precision@10, and the share of lists whose shown stars go up somewhere down the page;
* "because": the share of picks with a reason, the share of reasons whose film is among the
  pick's 20 nearest films (as /similar serves them), how often held-out users who liked the
  reason film liked the pick (beside how often anyone did), and how many picks the most used
  reason film explains in one list.

"Before" is the list as main made it until issue 15.5: the rank head's order with films under
3 predicted stars sunk to the end, reasons by rank-head cosine over 0.2.
Run: `.venv/bin/python -m bench.calibration` (writes bench/results/calibration.json).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from bench.common import markdown_table, write
from bench.similarity import trained_without_held_out
from recsys import FactorModel, UserVector
from recsys.alike import NEAR, Alike
from recsys.holdout import holdout_mask
from recsys.serving import (
    LIKED_STARS,
    LIKELY_STARS,
    because,
    by_predicted_stars,
    without_unlikely,
)

PAGE = 10
BUCKETS = [(0.0, 2.5), (2.5, 3.0), (3.0, 3.5), (3.5, 4.0), (4.0, 4.5), (4.5, 5.01)]


@dataclass(frozen=True)
class User:
    vector: UserVector
    known_ids: np.ndarray
    known_stars: np.ndarray
    test: dict[int, float]


Page = tuple[np.ndarray, np.ndarray, dict[int, list[int]], int]  # ids, stars, reasons, left out
Lister = Callable[[User], Page]


def before(model: FactorModel) -> Lister:
    unit = model.rank_item_factors.numpy()
    unit = unit / (np.linalg.norm(unit, axis=1, keepdims=True) + 1e-9)

    def page(user: User) -> Page:
        ids, _ = model.recommend(user.vector, n=(PAGE + 1) * 3, exclude=user.known_ids)
        liked = model.predict(user.vector, ids) >= LIKELY_STARS
        ids = np.concatenate([ids[liked], ids[~liked]])[:PAGE]
        liked_ids = user.known_ids[user.known_stars >= LIKED_STARS]
        similarity = unit[model.items.rows(ids)] @ unit[model.items.rows(liked_ids)].T
        reasons = {}
        for row, item in enumerate(ids.tolist()):
            best = np.argsort(-similarity[row])[:2]
            reasons[item] = [int(liked_ids[j]) for j in best if similarity[row, j] > 0.2]
        return ids, model.predict(user.vector, ids), reasons, 0

    return page


def after(model: FactorModel, alike: Alike) -> Lister:
    def page(user: User) -> Page:
        ids, _ = model.recommend(user.vector, n=(PAGE + 1) * 3, exclude=user.known_ids)
        ids, left_out = without_unlikely(model, user.vector, ids)
        ids, stars = by_predicted_stars(model, user.vector, ids[:PAGE])
        return ids, stars, because(alike, ids, user.known_ids, user.known_stars), left_out

    return page


def measure(
    lister: Lister, users: list[User], alike: Alike, liked_by: dict[int, set[int]],
    rated_by: dict[int, set[int]],
) -> dict[str, Any]:  # fmt: skip
    shown_liked: dict[int, list[bool]] = {b: [] for b in range(len(BUCKETS))}
    precision, rising, with_reason, near, holds, base, repeats = [], [], [], [], [], [], []
    for user in users:
        ids, stars, reasons, _ = lister(user)
        precision.append(sum(user.test.get(int(i), 0.0) >= LIKED_STARS for i in ids) / PAGE)
        rising.append(bool(np.any(np.diff(np.round(stars, 1)) > 0)))
        for item, value in zip(ids.tolist(), stars.tolist(), strict=True):
            if item in user.test:
                bucket = next(b for b, (lo, hi) in enumerate(BUCKETS) if lo <= value < hi)
                shown_liked[bucket].append(user.test[item] >= LIKED_STARS)
        used: Counter[int] = Counter()
        for item in ids.tolist():
            named = reasons.get(item, [])
            with_reason.append(bool(named))
            nearest = set(alike.near(item).tolist())
            for film in named:
                used[film] += 1
                near.append(film in nearest)
                both = rated_by.get(item, set()) & liked_by.get(film, set())
                if both:
                    holds.append(len(both & liked_by.get(item, set())) / len(both))
                    raters = rated_by.get(item, set())
                    base.append(len(raters & liked_by.get(item, set())) / len(raters))
        repeats.append(max(used.values(), default=0))
    return {
        "precision_at_10": float(np.mean(precision)),
        "lists_with_rising_stars": float(np.mean(rising)),
        "calibration": [
            {
                "stars": f"{lo:g}–{min(hi, 5.0):g}",
                "shown_and_rated": len(liked),
                "share_liked": float(np.mean(liked)) if liked else None,
            }
            for (lo, hi), liked in zip(BUCKETS, shown_liked.values(), strict=True)
        ],
        "picks_with_reason": float(np.mean(with_reason)),
        "reasons_among_20_nearest": float(np.mean(near)) if near else None,
        "reason_holds": float(np.mean(holds)) if holds else None,
        "pick_base_rate": float(np.mean(base)) if base else None,
        "most_used_reason_per_list": float(np.mean(repeats)),
    }


def held_out(model: FactorModel, test: pd.DataFrame) -> list[User]:
    half = holdout_mask(test["user_id"].to_numpy(), test["item_id"].to_numpy(), 0.5)
    users = []
    for _, group in test.assign(half=half).groupby("user_id"):
        known, rest = group[~group["half"]], group[group["half"]]
        if len(known) < 5 or len(rest) == 0:
            continue
        ids, stars = known["item_id"].to_numpy(), known["rating"].to_numpy(np.float32)
        users.append(
            User(
                model.fold_in(ids, stars),
                ids,
                stars,
                dict(zip(rest["item_id"].tolist(), rest["rating"].tolist(), strict=True)),
            )
        )
    return users


def main() -> None:
    model, catalog, test = trained_without_held_out()
    users = held_out(model, test)
    alike = Alike(model, catalog)
    liked_by: dict[int, set[int]] = {}
    rated_by: dict[int, set[int]] = {}
    for user, item, stars in test[["user_id", "item_id", "rating"]].itertuples(index=False):
        rated_by.setdefault(int(item), set()).add(int(user))
        if stars >= LIKED_STARS:
            liked_by.setdefault(int(item), set()).add(int(user))
    results = {
        name: measure(lister, users, alike, liked_by, rated_by)
        for name, lister in (("before", before(model)), ("after", after(model, alike)))
    }
    b, a = results["before"], results["after"]
    calibration_rows = [
        [
            row_b["stars"],
            _share(row_b["share_liked"], row_b["shown_and_rated"]),
            _share(row_a["share_liked"], row_a["shown_and_rated"]),
        ]
        for row_b, row_a in zip(b["calibration"], a["calibration"], strict=True)
    ]
    table = markdown_table(["stars shown", "liked, before", "liked, after"], calibration_rows)
    metrics = [
        ("precision@10", "precision_at_10"),
        ("lists whose stars rise down the page", "lists_with_rising_stars"),
        ("picks with a reason", "picks_with_reason"),
        (f"reasons among the pick's {NEAR} nearest films", "reasons_among_20_nearest"),
        ("held-out users who liked the reason liked the pick", "reason_holds"),
        ("... against anyone who rated the pick", "pick_base_rate"),
        ("picks explained by the most used reason, per list", "most_used_reason_per_list"),
    ]
    rows = [[label, _number(b[key]), _number(a[key])] for label, key in metrics]
    table += "\n\n" + markdown_table(["", "before", "after"], rows)
    table += f"\n\n{len(users)} held-out users, first page of {PAGE}."
    write("calibration", {**results, "users": len(users)}, table)


def _share(value: float | None, count: int) -> str:
    return "–" if value is None else f"{value:.2f} (n={count})"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
