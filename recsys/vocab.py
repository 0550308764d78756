"""A two-way map between external ids (MovieLens item ids, user ids) and tensor rows."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Vocabulary:
    """Sorted, unique external ids; ``rows()`` maps ids to row numbers in one vectorised call.

    External ids never index a tensor directly: a MovieLens item id of 193609 says nothing about
    where that film's factors live.
    """

    __slots__ = ("_ids", "_index", "_table")

    def __init__(self, ids: Iterable[int] | np.ndarray) -> None:
        self._ids = _unique(np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), np.int64))
        self._index: dict[int, int] | None = None
        self._table: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, external_id: object) -> bool:
        return external_id in self.index

    @property
    def ids(self) -> np.ndarray:
        """External ids in row order."""
        return self._ids

    @property
    def index(self) -> dict[int, int]:
        if self._index is None:
            self._index = {int(i): row for row, i in enumerate(self._ids)}
        return self._index

    def row(self, external_id: int) -> int | None:
        return self.index.get(int(external_id))

    def rows(self, external_ids: np.ndarray | Iterable[int]) -> np.ndarray:
        """Rows of ``external_ids``; -1 where an id is unknown."""
        ids = np.asarray(
            external_ids if isinstance(external_ids, np.ndarray) else list(external_ids), np.int64
        )
        if len(self._ids) == 0:
            return np.full(len(ids), -1, np.int64)
        table = self._lookup_table()
        if table is not None:
            low, high = self._ids[0], self._ids[-1]
            inside = (ids >= low) & (ids <= high)
            return np.where(inside, table[np.where(inside, ids - low, 0)], -1)
        pos = np.searchsorted(self._ids, ids)
        pos = np.minimum(pos, len(self._ids) - 1)
        return np.where(self._ids[pos] == ids, pos, -1)

    def _lookup_table(self) -> np.ndarray | None:
        """Row of every id from the smallest to the largest (-1 for gaps), when that range is
        not much wider than the vocabulary, as MovieLens ids are: a gather instead of a
        binary search, 5-10x faster on 25M ids. None for sparse ids such as Telegram's."""
        if self._table is None:
            span = int(self._ids[-1]) - int(self._ids[0]) + 1
            if span > max(_DENSE_SPAN, 8 * len(self._ids)):
                return None
            table = np.full(span, -1, np.int64)
            table[self._ids - self._ids[0]] = np.arange(len(self._ids))
            self._table = table
        return self._table


_DENSE_SPAN = 1 << 16  # ids spanning at most this many values always get a lookup table


def _unique(ids: np.ndarray) -> np.ndarray:
    """``np.unique(ids)``; in linear time by marking presence when the ids are dense."""
    if len(ids) == 0:
        return np.unique(ids)
    low, high = int(ids.min()), int(ids.max())
    if high - low >= 4 * len(ids) + _DENSE_SPAN:
        return np.unique(ids)
    present = np.zeros(high - low + 1, bool)
    present[ids - low] = True
    return np.flatnonzero(present) + low
