"""The MovieLens releases GroupLens publishes: where each zip lives and its published md5.

The md5s are the ones GroupLens publishes beside each zip (``<name>.zip.md5``), copied here so
that a download is checked against a value that does not travel with it. GroupLens rebuilds
``ml-latest`` and ``ml-latest-small`` in place from time to time, so no md5 of theirs stays
true; for those two the sidecar is read from the server at download time instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_BASE_URL = "https://files.grouplens.org/datasets/movielens"
BASE_URL_ENV = "MOVIELENS_URL"


@dataclass(frozen=True)
class Release:
    """One published zip. ``folder`` is the zip's top-level folder; ``megabytes`` the zip's
    size, ``films`` and ``ratings`` the release's, for messages and the README."""

    name: str
    md5: str | None
    folder: str
    megabytes: float
    films: int
    ratings: int

    @property
    def zip_name(self) -> str:
        return f"{self.name}.zip"

    def url(self, base_url: str | None = None) -> str:
        return f"{(base_url or base_url_from_env()).rstrip('/')}/{self.zip_name}"


RELEASES: dict[str, Release] = {
    r.name: r
    for r in (
        Release("ml-100k", "0e33842e24a9c977be4e0107933c0723", "ml-100k", 4.9, 1_682, 100_000),
        Release("ml-1m", "c4d9eecfca2ab87c1945afe126590906", "ml-1m", 5.9, 3_883, 1_000_209),
        # The zip unpacks to "ml-10M100K", not "ml-10m".
        Release("ml-10m", "ce571fd55effeba0271552578f2648bd", "ml-10M100K", 63, 10_681, 10_000_054),
        Release("ml-20m", "cd245b17a1ae2cc31bb14903e1204af3", "ml-20m", 198, 27_278, 20_000_263),
        Release("ml-25m", "6b51fb2759a8657d3bfcbfc42b592ada", "ml-25m", 262, 62_423, 25_000_095),
        Release("ml-32m", "d472be332d4daa821edc399621853b57", "ml-32m", 239, 87_585, 32_000_204),
        # Rebuilt in place by GroupLens: the md5 comes from the sidecar (see the docstring).
        Release("ml-latest-small", None, "ml-latest-small", 1.0, 9_742, 100_836),
        Release("ml-latest", None, "ml-latest", 335, 86_537, 33_832_162),
    )
}


def base_url_from_env() -> str:
    """``$MOVIELENS_URL`` (tests point it at a server on 127.0.0.1), else GroupLens."""
    return os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL


def release(name: str) -> Release:
    """The release called ``name``; ValueError naming the known ones otherwise."""
    try:
        return RELEASES[name]
    except KeyError:
        known = ", ".join(RELEASES)
        raise ValueError(f"{name!r} is not a MovieLens release; known: {known}") from None
