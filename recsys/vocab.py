"""A two-way map between external ids (MovieLens item ids, user ids) and tensor rows."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Vocabulary:
    """Sorted, unique external ids; ``rows()`` maps ids to row numbers in one vectorised call.

    External ids never index a tensor directly: a MovieLens item id of 193609 says nothing about
    where that film's factors live.
    """

    __slots__ = ("_ids", "_index")

    def __init__(self, ids: Iterable[int] | np.ndarray) -> None:
        ids = np.unique(np.asarray(ids if isinstance(ids, np.ndarray) else list(ids), np.int64))
        self._ids = ids
        self._index: dict[int, int] | None = None

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
        pos = np.searchsorted(self._ids, ids)
        pos = np.minimum(pos, len(self._ids) - 1)
        return np.where(self._ids[pos] == ids, pos, -1)
