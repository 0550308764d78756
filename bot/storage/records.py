"""What the storage hands back: plain, immutable rows, and the kinds its columns allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, get_args

DismissKind = Literal["unseen", "not_interested", "skipped"]
AnswerKind = Literal["rated", "unseen", "not_interested", "skipped"]
# What one user action did, as the change journal names it (bot/storage/journal.py).
ChangeKind = Literal[
    "rated", "unseen", "not_interested", "skipped", "deleted", "listed", "unlisted", "imported"
]
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
class Restored:
    """One film as ``undo`` put it back: its stars or dismissal (both None: unanswered), and
    whether it is on the watchlist (None: the change did not touch the watchlist)."""

    item_id: int
    stars: float | None
    dismissal: DismissKind | None
    listed: bool | None


@dataclass(frozen=True, slots=True)
class Change:
    """One user action taken back by ``undo``: what it was, and every film it put back."""

    kind: ChangeKind
    films: tuple[Restored, ...]

    @property
    def first(self) -> Restored:
        return self.films[0]


@dataclass(frozen=True, slots=True)
class Rated:
    """What a rating replaced: the previous stars, and whether it took the film off the
    watchlist (a rated film has been watched)."""

    previous: float | None
    unlisted: bool


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
