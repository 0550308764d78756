"""Film labels on buttons: cut at a word, the year always whole."""

from __future__ import annotations

import pytest

from bot.replies import film_label
from bot.service.types import Film

# ml-100k's title: cut at 60 characters it showed "…(The Double Life of Veronique) (1".
VERONIQUE = Film(1005, "La Double vie de Véronique (The Double Life of Veronique)", 1991, ())


@pytest.mark.parametrize(
    ("film", "limit", "label"),
    [
        (VERONIQUE, 60, "La Double vie de Véronique… (1991)"),  # no half of "(The Double…"
        (VERONIQUE, 30, "La Double vie de… (1991)"),
        (VERONIQUE, 64, "La Double vie de Véronique (The Double Life of Veronique) (1991)"),
        (Film(2, "Dr. Strangelove or: How I Learned to Stop Worrying", 1963, ()), 30,
         "Dr. Strangelove or… (1963)"),
        (Film(3, "Heat", 1995, ()), 11, "Heat (1995)"),
        (Film(4, "A" * 50, None, ()), 10, "A" * 9 + "…"),
    ],
)  # fmt: skip
def test_a_long_title_is_cut_at_a_word_and_keeps_its_year(
    film: Film, limit: int, label: str
) -> None:
    assert film_label(film, limit) == label


def test_labels_stay_within_their_limit() -> None:
    for limit in range(12, 80):
        assert len(film_label(VERONIQUE, limit)) <= limit
        assert film_label(VERONIQUE, limit).endswith(" (1991)")
