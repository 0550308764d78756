"""One spelling for the numbers in titles, so that "Twelve Monkeys" is "12 Monkeys" and "The
Godfather: Part II" is "Godfather 2" to whoever compares them (title search, imports).

It works on text already in a normal form (lower case, words split by single spaces): number
words from one to twenty and Roman numerals from II to XX become digits, and a word such as
"part" or "vol" before a number goes, since people leave it out.
"""

from __future__ import annotations

_WORDS = (
    *("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen", "twenty"),
)
_ROMAN_TENS = ("", "x", "xx")
_ROMAN_UNITS = ("", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix")


def _roman(n: int) -> str:
    return _ROMAN_TENS[n // 10] + _ROMAN_UNITS[n % 10]


DIGITS: dict[str, str] = {word: str(n) for n, word in enumerate(_WORDS, start=1)}
# "i" is a word ("I Shot Andy Warhol"); "v" and "x" count only as a title's last word ("Rocky
# V", "Malcolm X"), not as a first or middle one ("V for Vendetta", "The X Files").
DIGITS |= {_roman(n): str(n) for n in range(2, 21) if _roman(n) not in ("v", "x")}
_LAST_ONLY = {"v": "5", "x": "10"}
NUMBERED_PARTS = frozenset({"part", "pt", "vol", "volume", "chapter", "episode"})


def digits_for_numbers(text: str) -> str:
    """``text`` with its numbers in digits: ``"godfather part ii"`` gives ``"godfather 2"``,
    ``"twelve monkeys"`` gives ``"12 monkeys"``."""
    words = text.split(" ")
    if len(words) > 1 and words[-1] in _LAST_ONLY:
        words[-1] = _LAST_ONLY[words[-1]]
    words = [DIGITS.get(word, word) for word in words]
    kept = [
        word
        for word, after in zip(words, [*words[1:], ""], strict=True)
        if not (word in NUMBERED_PARTS and after.isdigit())
    ]
    return " ".join(kept)
