"""Films alike, as served: what /similar lists and which liked film may explain a pick.

The trained lists (:mod:`recsys.similarity`, rated alike by the same people) are re-scored with
genre agreement, so that a film's neighbours are also of its kind: on held-out ML-100k users
the share of neighbours sharing a genre rose from 0.56 to 0.93 while the share liked by those
who liked the film fell only from 0.43 to 0.39 (the rank-head cosine: 0.34;
bench/similarity.py). Films without a trained list (rarely rated ones past the training cap, or
models from an engine that writes none) fall back to the star head's cosine, which carries no
popularity (that sits in the biases), with a heavier genre term. A film rated by fewer than
``MIN_SUPPORT`` people is like nothing yet: one person's ratings say nothing of it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import numpy as np
import torch

from recsys.data.types import Catalog
from recsys.model import FactorModel
from recsys.similarity import MIN_SUPPORT

GENRE_WEIGHT = 0.15  # × genre Jaccard, added to similarity: 0.05-0.2 tried on held-out users
NEAR = 20  # a liked film among a pick's NEAR most alike films may explain the pick
_FALLBACK_POOL = 200  # films taken by factor cosine before the genre term re-scores them
FALLBACK_GENRE_WEIGHT = 0.5  # factor cosines run higher and closer together: genre counts more


def genre_bits(catalog: Catalog) -> dict[int, int]:
    """Each catalogue film's genres as a bit mask (bit g for the g-th genre, sorted by name;
    genres past the 63rd share the last bit, where ML releases have 20)."""
    bit = {name: 1 << min(i, 63) for i, name in enumerate(catalog.all_genres)}
    return {
        item: sum({bit[g] for g in genres})
        for item, genres in zip(catalog.item_ids.tolist(), catalog.frame["genres"], strict=True)
    }


class Alike:
    """Similar films for one model and one catalogue; built once per model (a pass over the
    catalogue), then each question costs one list look-up, or one mat-vec without a list."""

    def __init__(
        self, model: FactorModel, catalog: Catalog, bits: Mapping[int, int] | None = None
    ) -> None:
        """``bits``: :func:`genre_bits` of ``catalog``, when the caller keeps them."""
        self.model = model
        bits = genre_bits(catalog) if bits is None else bits
        ids = model.item_ids.tolist()
        self._bits = np.fromiter((bits.get(i, 0) for i in ids), np.uint64, len(ids))
        self._shown = np.isin(model.item_ids, catalog.item_ids)
        # Each film's near list, once found: at most films x NEAR ids (9 MB at 59k films),
        # and the films a page shows recur from one person's page to the next.
        self._near: dict[int, np.ndarray] = {}

    @functools.cached_property
    def _unit(self) -> torch.Tensor:
        """Unit star-head factors, made on the first fall-back only (22 MB at 87k films)."""
        factors = self.model.item_factors.float()
        unit: torch.Tensor = factors / (
            torch.linalg.vector_norm(factors, dim=1, keepdim=True) + 1e-9
        )
        return unit

    def similar(self, item_id: int, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """(item ids, similarity) of the ``n`` catalogue films most like ``item_id``, best
        first; KeyError for a film the model does not know."""
        row = self.model.items.row(item_id)
        if row is None:
            raise KeyError(f"unknown item id {item_id}")
        return self._rescored(row, *self._candidates([row])[0], n)

    def near(self, item_id: int) -> np.ndarray:
        """Item ids of the :data:`NEAR` films most like ``item_id`` (empty when unknown)."""
        return self.near_many([item_id])[item_id]

    def near_many(self, item_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """:meth:`near` of each of ``item_ids`` (a page of picks). Films met before are
        looked up; the others' candidates are found together: one matrix product and one
        top-k for the page rather than a pass over the catalogue per film (at 59k films
        5 ms against 12)."""
        rows = {item: self.model.items.row(item) for item in item_ids}
        new = {
            item: row for item, row in rows.items() if row is not None and item not in self._near
        }
        found = self._candidates(list(new.values()))
        for (item, row), candidates in zip(new.items(), found, strict=True):
            self._near[item] = self._rescored(row, *candidates, NEAR)[0]
        empty = np.empty(0, np.int64)
        return {item: empty if rows[item] is None else self._near[item] for item in item_ids}

    def _rescored(
        self, row: int, rows: np.ndarray, scores: np.ndarray, weight: float, n: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best of a film's candidates once genre agreement is added, as (item ids,
        similarity), catalogue films only."""
        keep = self._shown[rows]
        rows, scores = rows[keep], scores[keep] + weight * self._agreement(row, rows[keep])
        order = np.argsort(-scores, kind="stable")[:n]
        return self.model.item_ids[rows[order]], scores[order].astype(np.float32)

    def _candidates(self, rows: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray, float]]:
        """For each of ``rows``, (rows, similarities, genre weight): its trained list, or the
        factor fallback, computed for all films that lack a list at once."""
        out: list[tuple[np.ndarray, np.ndarray, float] | None] = [None] * len(rows)
        counts = self.model.item_rating_counts
        if counts is not None:  # too few ratings to say what a film is like: none
            for at, row in enumerate(rows):
                if counts[row] < MIN_SUPPORT:
                    out[at] = (np.empty(0, np.int64), np.empty(0), 0.0)
        trained = self.model.similar
        if trained is not None:
            for at, row in enumerate(rows):
                found, scores = trained.of(row)
                if len(found) and out[at] is None:
                    out[at] = (found, scores.astype(np.float64), GENRE_WEIGHT)
        missing = [at for at, got in enumerate(out) if got is None]
        pool = min(_FALLBACK_POOL, len(self.model.item_ids) - 1)
        if missing and pool <= 0:
            for at in missing:
                out[at] = (np.empty(0, np.int64), np.empty(0), 0.0)
        elif missing:
            asked = torch.as_tensor([rows[at] for at in missing])
            cosine = self._unit[asked] @ self._unit.T
            cosine[torch.arange(len(missing)), asked] = -torch.inf  # not like itself
            best = torch.topk(cosine, pool, dim=1)
            for at, found, values in zip(
                missing, best.indices.numpy(), best.values.numpy(), strict=True
            ):
                out[at] = (found.astype(np.int64), values.astype(np.float64), FALLBACK_GENRE_WEIGHT)
        return [got for got in out if got is not None]

    def _agreement(self, row: int, rows: np.ndarray) -> np.ndarray:
        """Genre Jaccard of ``row`` with each of ``rows`` (0 where either has no genre)."""
        mine, theirs = self._bits[row], self._bits[rows]
        common = np.bitwise_count(theirs & mine).astype(np.float64)
        union = np.bitwise_count(theirs | mine).astype(np.float64)
        agreement: np.ndarray = common / np.maximum(union, 1.0)
        return agreement
