"""Which films to ask a new user to rate next, so that a few taps teach the model the most.

The served fold-in learns from ratings only (a "haven't seen" answer adds nothing to the user's
vector), so a question pays when the user has seen the film. The model file says which films
that is likely to be: the trained users' rank-head vectors give a prior over a newcomer's vector,
and every answer, rated or "haven't seen", narrows it down.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from recsys.model import FactorModel
from recsys.modelcache import per_model

IdArray = np.ndarray | Sequence[int]

_CALIBRATION_CELLS = 200_000  # (user, film) pairs sampled to calibrate P(seen)
_MIN_SEEN, _MAX_SEEN = 1e-3, 1.0 - 1e-3


class Elicitor:
    """Per-model statistics for choosing questions, built once and reused on every tap.

    The user's rank-head vector *u* gets a Gaussian prior fitted to the trained users' vectors
    and is updated with every answer as Bayesian linear regression: a rating is a target of
    its stars, "haven't seen" a target of zero, exactly as weighted MF trained the head. For a
    film *i* with factors *v_i* the predicted target ``v_i·E[u]`` turns into ``P(seen_i)``
    (weighted MF predicts ``P·r̄ / (P + w·(1−P))`` on average; *w* is calibrated on the
    trained users), and the next question is the film the user has most probably seen.

    Only a rating moves the served fold-in, so each question is spent where a rating is most
    likely; since ``P(seen)`` follows the answers, a fan of one corner of the catalogue is asked
    about that corner, and a "haven't seen" lowers the odds of the films like it. Under the fair
    protocol of bench/elicitation.py (``--held-out 0.3``: every strategy scored on the same
    films, never asked) this beats asking the best-known films first on MovieLens 100k and on
    the synthetic catalogues (README, "Which films to ask first"). Weighing in how much an
    answer would narrow the posterior (``v_iᵀ Cov[u] v_i``, or ``P(1−P)`` for the outcome's own
    uncertainty) did worse there at every number of questions: it steers to films fewer people
    have seen, and the "haven't seen" answers it gets teach the served model nothing.
    """

    def __init__(
        self,
        model: FactorModel,
        *,
        pool: int = 2000,
        noise: float = 1.0,
        temperature: float = 0.02,
    ) -> None:
        """``pool``: only the ``pool`` best-known candidates are considered, since a film few
        people liked is one the user has almost surely not seen, and the cap keeps a call fast
        on big catalogues. ``noise``: the standard deviation of an answer's target around the
        prediction, in stars. ``temperature``: the scale of the Gumbel noise on log-values, so
        that two users get different questions (films within a few per cent of P(seen) swap)."""
        if pool < 1 or noise <= 0 or temperature < 0:
            raise ValueError("pool and noise must be positive, temperature not negative")
        # Only what a question needs is kept, not the model: the cache in elicitor_for() must
        # not keep a replaced model alive.
        self._items = model.items
        self.pool = pool
        self.temperature = temperature
        self._precision = 1.0 / noise**2
        self._v = model.rank_item_factors.numpy().astype(np.float64)
        popularity = model.item_popularity.numpy()
        self._by_popularity = np.argsort(-popularity, kind="stable")
        self._popularity_rank = np.argsort(self._by_popularity)
        # Scoring the pool is the hot part of a tap: in single precision it is three times
        # faster, and a question's value needs no more than three digits.
        self._v32_by_popularity = self._v[self._by_popularity].astype(np.float32)
        self._mean_star = max(float(model.global_mean), 1e-6)
        users = model.rank_user_factors.numpy().astype(np.float64)
        k = self._v.shape[1]
        if len(users) > k:
            self._prior_mean = users.mean(0)
            covariance = np.cov(users, rowvar=False) + 1e-6 * np.eye(k)
        else:  # too few trained users for a covariance: a vague prior around zero
            self._prior_mean = np.zeros(k)
            covariance = np.eye(k)
        self._prior_precision = np.linalg.inv(covariance)
        self._prior_shift = self._prior_precision @ self._prior_mean
        self._seen_weight = self._calibrate(
            users,
            model.metadata.get("n_ratings"),
            model.fold_in_settings.rank_unobserved_weight,
        )

    # ------------------------------------------------------------------ public

    def next_items(
        self,
        rated_ids: IdArray,
        rated_stars: Sequence[float] | np.ndarray,
        answered_ids: IdArray,
        n: int = 1,
        *,
        candidates: IdArray | None = None,
        exclude: IdArray = (),
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Up to ``n`` item ids to ask about next, best first; never one in ``answered_ids``.

        ``answered_ids`` is everything already shown: rated, skipped or "haven't seen" (rated
        films count as answered even when left out of it). ``candidates`` restricts the
        questions (a genre, a decade); ``exclude`` rules films out without saying anything
        about the user (unlike an answer). ``rng`` adds a little noise so users get different
        sequences; pass a seeded Generator to make them repeatable (None draws fresh entropy).
        """
        items = self._items
        rated = items.rows(np.asarray(rated_ids, np.int64))
        stars = np.asarray(rated_stars, np.float64)
        if rated.shape != stars.shape:
            raise ValueError("rated_ids and rated_stars must have the same length")
        stars, rated = stars[rated >= 0], rated[rated >= 0]
        answered = items.rows(np.asarray(answered_ids, np.int64))
        answered = np.union1d(answered[answered >= 0], rated)
        excluded = items.rows(np.asarray(exclude, np.int64))
        excluded = np.union1d(excluded[excluded >= 0], answered)
        pool, factors, taken = self._pool(excluded, candidates)
        n = min(n, len(pool) - len(taken))
        if n <= 0:
            return np.empty(0, np.int64)
        unseen = np.setdiff1d(answered, rated, assume_unique=True)
        mean = self._posterior_mean(rated, stars, unseen)
        # P(seen) grows with the predicted target: ranking by log P(seen) plus the noise is
        # ranking by the probability itself, and the pool needs one mat-vec.
        value = np.log(self._seen(factors @ mean.astype(np.float32)))
        if self.temperature:
            rng = rng if rng is not None else np.random.default_rng()
            # Gumbel noise, -log(-log U), drawn in single precision like the rest.
            uniform = rng.random(len(value), dtype=np.float32)
            np.maximum(uniform, np.finfo(np.float32).tiny, out=uniform)
            value = value - self.temperature * np.log(-np.log(uniform))
        value[taken] = -np.inf
        best = np.argpartition(-value, n - 1)[:n] if n < len(value) else np.arange(len(value))
        best = best[np.argsort(-value[best], kind="stable")]
        picked: np.ndarray = items.ids[pool[best]]
        return picked

    def seen_probability(
        self,
        rated_ids: IdArray,
        rated_stars: Sequence[float] | np.ndarray,
        unseen_ids: IdArray,
    ) -> np.ndarray:
        """P(the user has seen each film), in the model's row order, given their answers."""
        rated = self._items.rows(np.asarray(rated_ids, np.int64))
        stars = np.asarray(rated_stars, np.float64)[rated >= 0]
        unseen = self._items.rows(np.asarray(unseen_ids, np.int64))
        mean = self._posterior_mean(rated[rated >= 0], stars, unseen[unseen >= 0])
        return self._seen(self._v @ mean)

    # ------------------------------------------------------------------ parts

    def _calibrate(self, users: np.ndarray, n_ratings: int | None, fallback: float) -> float:
        """The weight *w* in ``P = w·x / (1 − (1−w)·x)`` (x: predicted target over the mean
        star) that makes the trained users' expected number of rated films match the number
        they rated; the unobserved-cell weight of training when the count is not recorded."""
        n_users, n_items = len(users), len(self._v)
        if not n_ratings or n_users == 0 or n_items == 0:
            return fallback
        rng = np.random.default_rng(0)
        cells = min(_CALIBRATION_CELLS, n_users * n_items)
        u = rng.integers(0, n_users, cells)
        i = rng.integers(0, n_items, cells)
        x = np.clip(np.einsum("ij,ij->i", users[u], self._v[i]) / self._mean_star, 0.0, 1.0)
        wanted = float(n_ratings) / (n_users * n_items)
        low, high = 1e-4, 1.0
        if np.mean(x) <= wanted:  # even w = 1 expects too few: no better calibration exists
            return high
        for _ in range(40):  # the expected count grows with w: bisect
            w = (low + high) / 2
            if np.mean(w * x / (1.0 - (1.0 - w) * x)) < wanted:
                low = w
            else:
                high = w
        return (low + high) / 2

    def _pool(
        self, excluded: np.ndarray, candidates: IdArray | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows worth considering (the best-known candidates), their factors in single
        precision, and the positions in them of films that may not be asked."""
        if candidates is None:
            # The ``pool`` best-known films not excluded are among the first pool + excluded:
            # a slice of the factors kept in popularity order, with no copy and no search.
            size = min(len(self._by_popularity), self.pool + len(excluded))
            positions = self._popularity_rank[excluded]
            return (
                self._by_popularity[:size],
                self._v32_by_popularity[:size],
                positions[positions < size],
            )
        # A mask over the popularity order, not a sort of the candidates: a genre of a big
        # catalogue holds tens of thousands of films.
        rows = self._items.rows(np.asarray(candidates, np.int64))
        allowed = np.zeros(len(self._by_popularity), bool)
        allowed[rows[rows >= 0]] = True
        allowed[excluded] = False
        chosen = np.flatnonzero(allowed[self._by_popularity])[: self.pool]
        return self._by_popularity[chosen], self._v32_by_popularity[chosen], np.empty(0, np.int64)

    def _posterior_mean(
        self, rated: np.ndarray, stars: np.ndarray, unseen: np.ndarray
    ) -> np.ndarray:
        """The mean of the user's rank vector given their answers."""
        v = self._v[np.concatenate([rated, unseen])]
        targets = np.concatenate([stars, np.zeros(len(unseen))])
        precision = self._prior_precision + self._precision * (v.T @ v)
        mean: np.ndarray = np.linalg.solve(
            precision, self._prior_shift + self._precision * (v.T @ targets)
        )
        return mean

    def _seen(self, predicted: np.ndarray) -> np.ndarray:
        x = np.clip(predicted / self._mean_star, 0.0, 1.0)
        w = self._seen_weight
        return np.clip(w * x / (1.0 - (1.0 - w) * x), _MIN_SEEN, _MAX_SEEN)


@per_model
def elicitor_for(model: FactorModel) -> Elicitor:
    """The model's :class:`Elicitor`, built on first use and kept while the model lives."""
    return Elicitor(model)


def next_items(
    model: FactorModel,
    rated_ids: IdArray,
    rated_stars: Sequence[float] | np.ndarray,
    answered_ids: IdArray,
    n: int = 1,
    *,
    candidates: IdArray | None = None,
    exclude: IdArray = (),
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Up to ``n`` item ids to ask the user to rate next (see :meth:`Elicitor.next_items`)."""
    return elicitor_for(model).next_items(
        rated_ids, rated_stars, answered_ids, n, candidates=candidates, exclude=exclude, rng=rng
    )
