"""The start-up wait's back-off: doubling from the first delay, capped, the cap repeating."""

from __future__ import annotations

from bot.reach import MAX_DELAY_S, delays


def test_the_waits_double_up_to_the_cap() -> None:
    assert delays() == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, MAX_DELAY_S]
    assert delays(0.5, 3.0) == [0.5, 1.0, 2.0, 3.0]
    assert delays(5.0, 5.0) == [5.0]
