"""Callback data: every action round-trips, fits in 64 bytes, and junk parses as None."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from typing import get_args

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot import callbacks
from bot.callbacks import (
    ACTIONS,
    MAX_ID,
    MAX_PAGE,
    Action,
    DeleteRating,
    DeleteRatingConfirm,
    Dismiss,
    Done,
    ForgetCancel,
    ForgetConfirm,
    MyRatings,
    MyWatchlist,
    NightJoin,
    NightLeave,
    NightSuggest,
    NightVote,
    NotInterested,
    OpenFilm,
    Rate,
    RecMore,
    SimilarTo,
    Undo,
    WatchLater,
    WatchRemove,
    build,
    parse,
    pattern,
)
from bot.storage import DismissKind

ids = st.integers(0, MAX_ID)
pages = st.integers(0, MAX_PAGE)
stars = st.integers(1, 10).map(lambda halves: halves / 2)
kinds = st.sampled_from(get_args(callbacks.DismissKind))
keys = st.from_regex(r"[A-Za-z0-9_-]{1,16}", fullmatch=True)

any_action: st.SearchStrategy[Action] = st.one_of(
    st.builds(Rate, ids, stars),
    st.builds(Dismiss, ids, kinds),
    st.just(Done()),
    st.just(Undo()),
    st.builds(RecMore, pages, st.none() | keys),
    st.builds(OpenFilm, ids),
    st.builds(SimilarTo, ids),
    st.builds(WatchLater, ids),
    st.builds(WatchRemove, ids, st.none() | pages),
    st.builds(MyWatchlist, pages),
    st.builds(NotInterested, ids),
    st.builds(MyRatings, pages),
    st.builds(DeleteRating, ids),
    st.builds(DeleteRatingConfirm, ids),
    st.just(ForgetConfirm()),
    st.just(ForgetCancel()),
    st.builds(NightJoin, ids),
    st.builds(NightLeave, ids),
    st.builds(NightSuggest, ids),
    st.builds(NightVote, ids, ids),
)

LARGEST: list[Action] = [
    Rate(MAX_ID, 5.0),
    Dismiss(MAX_ID, "not_interested"),
    RecMore(MAX_PAGE, "Z" * 16),
    NightVote(MAX_ID, MAX_ID),
    MyRatings(MAX_PAGE),
    DeleteRating(MAX_ID),
    DeleteRatingConfirm(MAX_ID),
    WatchRemove(MAX_ID, MAX_PAGE),
]


def test_the_strategy_covers_every_action() -> None:
    assert {type(a) for a in LARGEST} <= set(ACTIONS)
    assert len(ACTIONS) == 20


@given(any_action)
def test_every_action_round_trips(action: Action) -> None:
    data = build(action)
    assert parse(data) == action
    assert type(parse(data)) is type(action)


@given(any_action)
def test_data_is_short_ascii_and_matches_its_pattern(action: Action) -> None:
    data = build(action)
    assert data.isascii()
    assert len(data.encode()) <= 64
    assert pattern(type(action)).match(data)
    others = [a for a in ACTIONS if a is not type(action)]
    assert not pattern(*others).match(data)


@pytest.mark.parametrize("action", LARGEST, ids=lambda a: type(a).__name__)
def test_extreme_values_fit_in_64_bytes(action: Action) -> None:
    assert len(build(action).encode()) <= 64


@pytest.mark.parametrize(
    ("action", "data"),
    [
        (Rate(318, 4.5), "r1:318:9"),
        (Rate(1, 0.5), "r1:1:1"),
        (Dismiss(7, "unseen"), "d1:7:u"),
        (Dismiss(7, "skipped"), "d1:7:s"),
        (Dismiss(7, "not_interested"), "d1:7:n"),
        (Done(), "ok1"),
        (RecMore(2), "m1:2"),
        (RecMore(0, "a1"), "m1:0:a1"),
        (NightVote(3, 50), "nv1:3:50"),
    ],
)
def test_known_encodings(action: Action, data: str) -> None:
    assert build(action) == data


@pytest.mark.parametrize(
    "data",
    [
        "",
        "r1",
        "r1:",
        "r1:5",
        "r1:5:0",
        "r1:5:11",
        "r1:5:9:",
        "r1:5:9:1",
        "r1:05:9",
        "r1:+5:9",
        "r1:-5:9",
        "r1: 5:9",
        "r1:5 :9",
        "r1:5:9\n",
        "r1:2147483648:9",
        "r1:99999999999:9",
        "r1:５:9",
        "r1:5:٩",
        "r:5:9",
        "r2:5:9",
        "R1:5:9",
        "d1:5:x",
        "d1:5:",
        "ok1:",
        "ok1:1",
        "ok",
        "m1:10000",
        "m1:1:",
        "m1:1:" + "k" * 17,
        "m1:1:a:b",
        "m1:1:a b",
        "nv1:1",
        "nv1:1:2:3",
        "x" * 65,
        "r1:5:9" + " " * 60,
        "garbage",
        ":",
        "::",
    ],
)
def test_junk_parses_as_none(data: str) -> None:
    assert parse(data) is None


@given(st.text(max_size=80))
@example("r1:0:1")
@example("m1:0:-")
def test_parse_never_raises_and_accepts_only_canonical_data(data: str) -> None:
    action = parse(data)
    if action is not None:
        assert build(action) == data


@given(st.from_regex(r"\A(r1|d1|m1|nv1|my1|ok1):[0-9a-z:_-]{0,30}\Z"))
def test_parse_near_misses(data: str) -> None:
    action = parse(data)
    if action is not None:
        assert build(action) == data


def test_parse_tolerates_non_strings() -> None:
    assert parse(None) is None
    assert parse(b"ok1") is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: Rate(1, 3.3),
        lambda: Rate(1, 0),
        lambda: Rate(1, 5.5),
        lambda: Rate(1, float("nan")),
        lambda: Rate(-1, 3),
        lambda: Rate(MAX_ID + 1, 3),
        lambda: Rate(True, 3),
        lambda: Dismiss(1, "maybe"),  # type: ignore[arg-type]
        lambda: RecMore(-1),
        lambda: RecMore(MAX_PAGE + 1),
        lambda: RecMore(0, ""),
        lambda: RecMore(0, "has space"),
        lambda: RecMore(0, "é"),
        lambda: NightVote(1, None),  # type: ignore[arg-type]
    ],
)
def test_invalid_actions_cannot_be_built(make: Callable[[], object]) -> None:
    # Two cases break the type hints on purpose: the checks must hold at run time too.
    with pytest.raises(ValueError):
        make()


def test_tags_are_unique_and_versioned() -> None:
    tags = [action.TAG for action in ACTIONS]
    assert len(set(tags)) == len(tags)
    assert all(re.fullmatch(r"[a-z]{1,3}[0-9]", tag) for tag in tags)


def test_every_action_has_a_codec_per_field() -> None:
    for action in ACTIONS:
        assert len(action.CODECS) == len(fields(action))  # type: ignore[arg-type]


def test_pattern_is_anchored_for_ptb() -> None:
    rate = pattern(Rate)
    assert rate.match("r1:1:2")
    assert not rate.match("r1:1:2x")
    assert not rate.match("xr1:1:2")
    assert not rate.match("r1:1:2\n")
    both = pattern(Rate, Dismiss)
    assert both.match("d1:1:u") and both.match("r1:1:1")
    with pytest.raises(ValueError):
        pattern()


def test_dismiss_kinds_match_storage() -> None:
    assert set(get_args(callbacks.DismissKind)) == set(get_args(DismissKind))
