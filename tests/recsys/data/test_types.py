"""The catalogue type: lookups and filters over its films."""

from __future__ import annotations

from recsys.data import Catalog


def test_catalog_filter_by_genre_any_case_and_years() -> None:
    catalog = Catalog.from_columns(
        [1, 2, 3, 4],
        ["Alien", "Heat", "Up", "Metropolis"],
        [1979, 1995, None, 1927],
        [("Horror", "Sci-Fi"), ("Crime",), ("Animation",), ("Drama", "Sci-Fi")],
    )
    assert catalog.filter(genre="sci-fi").tolist() == [1, 4]
    assert catalog.filter(genre=" SCI-FI ").tolist() == [1, 4]
    assert catalog.filter(years=(1970, 1999)).tolist() == [1, 2]
    assert catalog.filter(years=(None, 1950)).tolist() == [4]
    assert catalog.filter(genre="Sci-Fi", years=(1950, None)).tolist() == [1]
    assert catalog.filter().tolist() == [1, 2, 3, 4]
    assert catalog.filter(genre="Western").tolist() == []
