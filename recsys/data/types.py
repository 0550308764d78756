"""The two things every MovieLens reader yields: a table of ratings and a catalogue of films."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

RATING_COLUMNS = ("user_id", "item_id", "rating", "timestamp")
RATING_DTYPES = {"user_id": "int32", "item_id": "int32", "rating": "float32", "timestamp": "int64"}
CATALOG_COLUMNS = ("title", "year", "genres", "imdb_id", "tmdb_id", "imdb_url")


def ratings_frame(
    user_id: np.ndarray, item_id: np.ndarray, rating: np.ndarray, timestamp: np.ndarray
) -> pd.DataFrame:
    """The ratings table with exactly ``RATING_COLUMNS`` in ``RATING_DTYPES`` (no copy when
    the arrays already have those types)."""
    columns = dict(zip(RATING_COLUMNS, (user_id, item_id, rating, timestamp), strict=True))
    # copy=False: a dict of arrays is copied by default, which doubles a 32M-row table.
    return pd.DataFrame(
        {name: np.asarray(values, dtype=RATING_DTYPES[name]) for name, values in columns.items()},
        copy=False,
    )


@dataclass(frozen=True)
class Catalog:
    """Films by MovieLens item id.

    ``frame`` is indexed by ``item_id`` (int32) with columns ``title`` (clean display title,
    "The Shawshank Redemption"), ``year`` (nullable Int16), ``genres`` (tuple of str, empty
    when unknown), ``imdb_id`` and ``tmdb_id`` (nullable Int64, when the release has links),
    ``imdb_url`` (str or NA: the IMDb address ML-100k's ``u.item`` gives instead of an id).
    """

    frame: pd.DataFrame
    name: str = ""
    """The release's name (``ml-100k``), for messages such as "my films stop in 1998"."""

    @classmethod
    def from_columns(
        cls,
        item_ids: Sequence[int] | np.ndarray,
        titles: Sequence[str],
        years: Sequence[int | None],
        genres: Sequence[tuple[str, ...]],
        imdb_ids: Sequence[int | None] | None = None,
        tmdb_ids: Sequence[int | None] | None = None,
        imdb_urls: Sequence[str | None] | None = None,
    ) -> Catalog:
        """A catalogue with the column types above, sorted by item id; ids left out are NA."""
        n = len(item_ids)
        missing: list[int | None] = [None] * n
        urls: list[Any] = [None] * n if imdb_urls is None else list(imdb_urls)
        genre_column = np.empty(n, dtype=object)
        genre_column[:] = [tuple(g) for g in genres]  # element-wise, so tuples stay whole
        frame = pd.DataFrame(
            {
                "title": pd.array(list(titles), dtype="str"),
                "year": pd.array(list(years), dtype="Int16"),
                "genres": genre_column,
                "imdb_id": pd.array(list(missing if imdb_ids is None else imdb_ids), "Int64"),
                "tmdb_id": pd.array(list(missing if tmdb_ids is None else tmdb_ids), "Int64"),
                "imdb_url": pd.array(urls, dtype="str"),
            },
            index=pd.Index(np.asarray(item_ids, dtype=np.int32), name="item_id"),
        )
        return cls(frame.sort_index())

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.frame.index

    @property
    def item_ids(self) -> np.ndarray:
        return self.frame.index.to_numpy(dtype=np.int32)

    def title(self, item_id: int) -> str:
        return str(self.frame.at[item_id, "title"])

    def year(self, item_id: int) -> int | None:
        return self._optional_int(item_id, "year")

    def imdb_id(self, item_id: int) -> int | None:
        return self._optional_int(item_id, "imdb_id")

    def tmdb_id(self, item_id: int) -> int | None:
        return self._optional_int(item_id, "tmdb_id")

    def imdb_url(self, item_id: int) -> str | None:
        value: Any = self.frame.at[item_id, "imdb_url"]
        return None if pd.isna(value) else str(value)

    def genres(self, item_id: int) -> tuple[str, ...]:
        genres: Any = self.frame.at[item_id, "genres"]
        return tuple(genres)

    def _optional_int(self, item_id: int, column: str) -> int | None:
        # A cell of a nullable integer column: an int, or pandas' NA.
        value: Any = self.frame.at[item_id, column]
        return None if pd.isna(value) else int(value)

    def label(self, item_id: int) -> str:
        """``"Toy Story (1995)"``: the title with its year, for lists and logs."""
        year = self.year(item_id)
        return self.title(item_id) if year is None else f"{self.title(item_id)} ({year})"

    def genres_by_item(self) -> dict[int, tuple[str, ...]]:
        """Every film's genres by item id: what ``Trainer.fit`` takes for its genre prior."""
        return dict(zip(self.item_ids.tolist(), self.frame["genres"], strict=True))

    @property
    def last_year(self) -> int | None:
        """The year of the catalogue's newest film: where what the bot knows stops."""
        years = self.frame["year"].dropna()
        return int(years.max()) if len(years) else None

    @property
    def all_genres(self) -> list[str]:
        return sorted({g for genres in self.frame["genres"] for g in genres})

    def filter(
        self,
        genre: str | None = None,
        years: tuple[int | None, int | None] | None = None,
    ) -> np.ndarray:
        """Item ids of films in ``genre`` (any case) released within ``years`` (inclusive; None
        leaves that end open). Films of unknown year are left out when ``years`` is given."""
        frame = self.frame
        keep = np.ones(len(frame), bool)
        if genre is not None:
            wanted = genre.strip().casefold()
            keep &= np.fromiter(
                (any(g.casefold() == wanted for g in genres) for genres in frame["genres"]),
                bool,
                len(frame),
            )
        if years is not None:
            start, end = years
            known = frame["year"].notna().to_numpy()
            year = frame["year"].fillna(0).to_numpy(np.int64)
            keep &= known
            if start is not None:
                keep &= year >= start
            if end is not None:
                keep &= year <= end
        return frame.index.to_numpy(np.int64)[keep]


@dataclass(frozen=True)
class Dataset:
    """Ratings plus the catalogue they refer to.

    ``ratings`` has exactly the columns ``user_id`` (int32), ``item_id`` (int32), ``rating``
    (float32, stars) and ``timestamp`` (int64, Unix seconds).
    """

    name: str
    ratings: pd.DataFrame
    catalog: Catalog

    @property
    def n_users(self) -> int:
        return int(self.ratings["user_id"].nunique())

    @property
    def n_items(self) -> int:
        return int(self.ratings["item_id"].nunique())
