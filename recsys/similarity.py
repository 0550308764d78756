"""Which films are like a film, as people mean it: rated alike by the same people, and of the
same kind.

The rank head's cosine says "watched by the same people": it carries popularity and release
year (Titanic's nearest films were ten other 1997 releases). Here two films are alike when the
people who rated both rated them alike, each rating taken relative to its user's mean (adjusted
cosine), shrunk towards 0 when few people rated both:

    s_ij = Σ_u d_ui d_uj / (‖d_i‖ ‖d_j‖) · c_ij / (c_ij + λ),   d_ui = r_ui − mean_u

Training keeps each film's ``k`` best (:class:`SimilarFilms`, stored in the model file); serving
adds a genre-agreement term (:mod:`recsys.serving`). bench/similarity.py measures both against
the rank-head cosine on held-out users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from recsys.interactions import Interactions

SIMILAR_K = 50  # films kept per film: serving re-scores them with genres and shows ten
SHRINKAGE = 50.0  # λ, in co-raters: best of 10 / 50 / 100 on held-out ML-100k users
MIN_SUPPORT = 3  # co-raters below which two films are not called alike (Surprise's min_support)
_CHUNK = 512  # films per block of the similarity computation


@dataclass(frozen=True)
class SimilarFilms:
    """For every film (model row), its most similar films' rows, best first, and their
    similarities; rows are -1 (score 0) where a film has fewer, or none at all."""

    rows: np.ndarray  # (n_items, k) int32
    scores: np.ndarray  # (n_items, k) float32

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of one film's similar films; empty when it has none."""
        keep = self.rows[row] >= 0
        return self.rows[row][keep].astype(np.int64), self.scores[row][keep]


def fit_similar(
    train: Interactions,
    k: int = SIMILAR_K,
    shrinkage: float = SHRINKAGE,
    max_items: int | None = None,
    min_support: int = MIN_SUPPORT,
) -> SimilarFilms:
    """Every film's ``k`` most similar films by shrunk adjusted cosine (module docstring).

    ``max_items`` limits the work to the most rated films (the others get no list and serving
    falls back to factors): the cost grows with ratings × films, and a film rated a handful of
    times has no co-ratings to speak of anyway. Memory stays at one (films × block) slice: no
    films × films matrix is ever held.
    """
    n_items = train.n_items
    count = np.bincount(train.item_rows, minlength=n_items)
    n_films = n_items if max_items is None else min(max_items, n_items)
    films = np.argsort(-count, kind="stable")[:n_films]  # column -> model row
    column = np.full(n_items, -1, np.int64)
    column[films] = np.arange(n_films)

    user_count = np.bincount(train.user_rows, minlength=train.n_users)
    user_sum = np.bincount(train.user_rows, train.ratings, minlength=train.n_users)
    user_mean = (user_sum / np.maximum(user_count, 1)).astype(np.float32)
    kept = np.flatnonzero(column[train.item_rows] >= 0)
    if not (np.diff(train.user_rows[kept]) >= 0).all():  # rating files come in user order
        kept = kept[np.argsort(train.user_rows[kept], kind="stable")]
    users = train.user_rows[kept]
    cols = column[train.item_rows[kept]]
    centred = train.ratings[kept] - user_mean[users]
    del kept
    norms = np.sqrt(np.bincount(cols, centred * centred, minlength=n_films)) + 1e-9
    inverse_norm = torch.from_numpy((1.0 / norms).astype(np.float32))

    width = min(k, max(n_films - 1, 0))
    out_rows = np.full((n_items, k), -1, np.int32)
    out_scores = np.zeros((n_items, k), np.float32)
    if width == 0:
        return SimilarFilms(out_rows, out_scores)
    best = _Best(n_films, width)
    # One dense (users × block) buffer, reused: first the block's residuals, then whether each
    # user rated each film (400 MB at 200k users; two took twice that).
    buffer = torch.zeros(train.n_users, _CHUNK)
    for start in range(0, n_films, _CHUNK):
        stop = min(start + _CHUNK, n_films)
        # The matrix is symmetric: each block meets only itself and the films after it, and
        # ratings of earlier films are dropped as the blocks move on.
        if start > 0:
            later = cols >= start
            users, cols, centred = users[later], cols[later], centred[later]
        # Entries in user order, so the dense rows stream through the cache (as in
        # recsys/neighbours.py: 4x faster than film order).
        index = torch.from_numpy(np.vstack([cols - start, users]))
        shape = (n_films - start, train.n_users)
        values = torch.sparse_coo_tensor(
            index, torch.from_numpy(centred), shape, check_invariants=True
        )
        rated = torch.sparse_coo_tensor(index, torch.ones(len(cols)), shape, check_invariants=True)
        del index
        inside = cols < stop
        at = (torch.from_numpy(users[inside]), torch.from_numpy(cols[inside] - start))
        block = buffer[:, : stop - start].zero_()
        block[at] = torch.from_numpy(centred[inside])
        # (films from ``start`` on × block): sums over the users who rated both films.
        similarity = torch.sparse.mm(values, block)
        block[at] = 1.0
        common = torch.sparse.mm(rated, block)
        del values, rated
        similarity.mul_(inverse_norm[start:, None]).mul_(inverse_norm[None, start:stop])
        similarity.masked_fill_(common < min_support, 0.0)
        similarity.mul_(common.div_(common.add(shrinkage)))
        diagonal = torch.arange(stop - start)
        similarity[diagonal, diagonal] = -np.inf  # a film is not like itself
        best.merge(start, stop, similarity)
    scores, columns = best.result()
    out_rows[films, :width] = np.where(columns >= 0, films[np.maximum(columns, 0)], -1)
    out_scores[films, :width] = scores
    positive = out_scores > 0  # a film rated oppositely is not "like" it
    out_rows[~positive] = -1
    out_scores[~positive] = 0.0
    return SimilarFilms(out_rows, out_scores)


class _Best:
    """Each film's ``width`` most similar films so far, as blocks of the matrix come in."""

    def __init__(self, n_films: int, width: int) -> None:
        self.width = width
        self.scores = torch.full((n_films, width), -np.inf)
        self.columns = torch.full((n_films, width), -1, dtype=torch.int64)

    def merge(self, start: int, stop: int, similarity: torch.Tensor) -> None:
        """Take in ``similarity`` (films from ``start`` on × films ``start:stop``): the block's
        films meet every film from ``start`` on in its columns, and the films after the block
        meet the block's films in its rows (the block against itself only once)."""
        top = similarity.topk(min(self.width, similarity.shape[0]), dim=0)
        self._update(slice(start, stop), top.values.T, top.indices.T + start)
        if stop < self.scores.shape[0]:
            rows = similarity[stop - start :]
            top = rows.topk(min(self.width, stop - start), dim=1)
            self._update(slice(stop, None), top.values, top.indices + start)

    def _update(self, films: slice, scores: torch.Tensor, columns: torch.Tensor) -> None:
        all_scores = torch.cat([self.scores[films], scores], dim=1)
        all_columns = torch.cat([self.columns[films], columns], dim=1)
        top = all_scores.topk(self.width, dim=1)
        self.scores[films] = top.values
        self.columns[films] = all_columns.gather(1, top.indices)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(scores, columns), best first; columns -1 and scores 0 where there are fewer."""
        scores = self.scores.numpy().copy()
        columns = self.columns.numpy().astype(np.int64)
        empty = ~np.isfinite(scores)
        scores[empty], columns[empty] = 0.0, -1
        return scores, columns
