"""What the storage hands back: plain, immutable rows, and the kinds its columns allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

DismissKind = Literal["unseen", "not_interested", "skipped"]
AnswerKind = Literal["rated", "unseen", "not_interested", "skipped"]
NightStatus = Literal["open", "voting", "closed", "cancelled"]
RunStatus = Literal["running", "swapped", "kept", "failed"]

DISMISS_KINDS: frozenset[str] = frozenset(get_args(DismissKind))
FINISHED_RUN_STATUSES: frozenset[str] = frozenset({"swapped", "kept", "failed"})


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    first_name: str
    language: str | None
    created_at: int
    last_seen_at: int
    blocked: bool


@dataclass(frozen=True, slots=True)
class Rating:
    item_id: int
    stars: float
    updated_at: int


class RatingEvent(NamedTuple):
    """One row of the training data: who rated what, how, and when."""

    user_id: int
    item_id: int
    stars: float
    updated_at: int


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer taken back by ``undo``, and what the film went back to."""

    item_id: int
    kind: AnswerKind
    previous_stars: float | None
    previous_dismissal: DismissKind | None


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    ratings: int
    ratings_today: int


@dataclass(frozen=True, slots=True)
class MovieNight:
    night_id: int
    chat_id: int
    message_id: int | None
    filter: str
    status: NightStatus
    created_by: int | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Ballot:
    """A movie night's vote: the films put to it as (item id, group score) in poll order, the
    native poll that carries it, and the film picked once it closed."""

    night_id: int
    films: tuple[tuple[int, float], ...]
    poll_id: str | None
    poll_message_id: int | None
    picked_item: int | None


@dataclass(frozen=True, slots=True)
class TrainingRun:
    run_id: int
    started_at: int
    finished_at: int | None
    trigger: str
    status: RunStatus
    metrics: dict[str, Any] | None
    error: str | None
    model_version: str | None
