"""Numbers in titles get one spelling: digits."""

from __future__ import annotations

import pytest

from recsys.data.numerals import digits_for_numbers


@pytest.mark.parametrize(
    ("text", "spelt"),
    [
        ("twelve monkeys", "12 monkeys"),
        ("godfather part ii", "godfather 2"),
        ("star wars episode iv a new hope", "star wars 4 a new hope"),
        ("kill bill vol 1", "kill bill 1"),
        ("rocky v", "rocky 5"),
        ("malcolm x", "malcolm 10"),
        ("star trek iii the search for spock", "star trek 3 the search for spock"),
        ("seven samurai", "7 samurai"),
        ("apollo 13", "apollo 13"),
        ("xx", "20"),
    ],
)
def test_numbers_become_digits(text: str, spelt: str) -> None:
    assert digits_for_numbers(text) == spelt


@pytest.mark.parametrize(
    "text",
    [
        "i shot andy warhol",  # "i" is a word
        "v for vendetta",  # a letter alone is a number only at the end
        "x files",
        "body parts",
        "part time",  # "part" goes only before a number
        "the chapter",
        "mix",
        "",
    ],
)
def test_words_that_only_look_like_numbers_stay(text: str) -> None:
    assert digits_for_numbers(text) == text
