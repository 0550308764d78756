"""What the movie-night flow takes and gives: the group it runs in, and what to do there."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.replies import Button, Reply


@dataclass(frozen=True)
class GroupChat:
    chat_id: int
    title: str
    bot_username: str  # for t.me deep links into the private chat


@dataclass(frozen=True)
class VoteRequest:
    """Open the vote: an anonymous native poll, one option per film, with ``buttons`` under
    it; then report the poll with :meth:`Group.vote_posted`."""

    night_id: int
    question: str
    options: list[str]
    buttons: list[list[Button]]


@dataclass(frozen=True)
class StopRequest:
    """Stop the night's poll, then hand its final counts to :meth:`Group.vote_closed`."""

    night_id: int
    message_id: int


@dataclass
class GroupOutcome:
    """What to do in one group chat, in this order: edit, send, post the night, open the vote,
    stop the vote. ``notice`` answers a button press (as a pop-up if ``alert``)."""

    chat_id: int
    notice: str | None = None
    alert: bool = False
    edits: list[tuple[int, Reply]] = field(default_factory=list)  # (message id, new content)
    send: list[Reply] = field(default_factory=list)
    night_post: tuple[int, Reply] | None = None  # post, then report it with night_posted()
    hint_post: tuple[int, Reply] | None = None  # post, then report it with hint_posted()
    vote: VoteRequest | None = None
    stop: StopRequest | None = None
