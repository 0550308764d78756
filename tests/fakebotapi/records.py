# Waiting helpers take a default timeout so a broken bot fails a test instead of hanging it.
# ruff: noqa: ASYNC109
"""What the fake Telegram remembers: chats with their message transcripts, files, callback
queries, logged requests, and the faults a test asked for.

Records are live: a ``FakeMessage`` a test holds changes when the bot edits it, and keeps
every earlier version in ``edits``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from .markup import buttons
from .params import UploadedFile

T = TypeVar("T")

ChatType = Literal["private", "group", "supergroup"]


class Signal:
    """Wakes every waiter whenever anything changes; waiters re-check their own condition.

    ``notify()`` is synchronous, so any code path can call it, and there is no polling: a
    waiter sleeps on an Event that the next change sets.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(
        self, condition: Callable[[], T | None], timeout: float, describe: Callable[[], str]
    ) -> T:
        """The first truthy value of ``condition()``; TimeoutError (with ``describe()``) after
        ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                while not (result := condition()):
                    await self._event.wait()
        except TimeoutError:
            raise TimeoutError(f"after {timeout}s: {describe()}") from None
        return result


@dataclass(frozen=True)
class StoredFile:
    """A document or photo as uploaded (or the URL it was sent by)."""

    file_id: str
    file_unique_id: str
    filename: str | None
    mime_type: str | None
    data: bytes
    url: str | None = None

    @classmethod
    def from_upload(cls, upload: UploadedFile, serial: int) -> StoredFile:
        return cls(
            file_id=f"file-{serial}",
            file_unique_id=f"u{serial}",
            filename=upload.filename,
            mime_type=upload.content_type,
            data=upload.data,
        )


@dataclass(frozen=True)
class Revision:
    """One earlier version of an edited message."""

    text: str | None
    caption: str | None
    reply_markup: dict[str, Any] | None
    date: int


@dataclass(eq=False)
class FakeMessage:
    """One message in a chat transcript, sent by a user or by the bot."""

    chat: FakeChat
    message_id: int
    sender: dict[str, Any]
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    source: str | None = None
    """The text exactly as the bot sent it (HTML source), before entity parsing."""
    parse_mode: str | None = None
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    poll: dict[str, Any] | None = None
    reply_to: FakeMessage | None = None
    edit_date: int | None = None
    edits: list[Revision] = field(default_factory=list)
    deleted: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    """Other top-level Message fields (new_chat_members, ...), sent as they are."""

    def __repr__(self) -> str:
        sender = "bot" if self.from_bot else self.sender.get("id")
        content = self.text if self.text is not None else self.caption
        return (
            f"FakeMessage(chat={self.chat.id}, id={self.message_id}, from={sender}, "
            f"text={content!r}, buttons={self.button_texts}, edits={len(self.edits)}"
            f"{', deleted' if self.deleted else ''})"
        )

    @property
    def from_bot(self) -> bool:
        return bool(self.sender.get("is_bot"))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline buttons on the message now, row by row."""
        return buttons(self.reply_markup)

    @property
    def button_texts(self) -> list[str]:
        return [button["text"] for button in self.buttons]

    def button(self, text: str) -> dict[str, Any]:
        """The current inline button labelled ``text``; LookupError lists the labels there are."""
        for button in self.buttons:
            if button["text"] == text:
                return button
        raise LookupError(f"no button {text!r} on message {self.message_id}: {self.button_texts}")

    def snapshot(self) -> Revision:
        return Revision(self.text, self.caption, self.reply_markup, self.edit_date or self.date)

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API ``Message`` object."""
        message: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_api(),
            "date": self.date,
            **self.extra,
        }
        if self.text is not None:
            message["text"] = self.text
            if self.entities:
                message["entities"] = self.entities
        if self.caption is not None:
            message["caption"] = self.caption
            if self.caption_entities:
                message["caption_entities"] = self.caption_entities
        if self.document is not None:
            message["document"] = _document(self.document)
        if self.photo is not None:
            message["photo"] = [_photo_size(self.photo)]
        if self.poll is not None:
            message["poll"] = self.poll
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            message["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            message["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return message


@dataclass(eq=False)
class FakeChat:
    """A private chat or a group, with everything said in it."""

    id: int
    type: ChatType
    title: str | None = None
    first_name: str | None = None
    username: str | None = None
    blocked: bool = False
    """A private chat whose user blocked the bot: sending there gives 403."""
    messages: list[FakeMessage] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    """Chat actions ("typing", ...) the bot sent, in order."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def __repr__(self) -> str:
        name = self.title or self.first_name
        return f"FakeChat({self.id}, {self.type}, {name!r}, {len(self.messages)} messages)"

    def next_message_id(self) -> int:
        return next(self._ids)

    def message(self, message_id: int) -> FakeMessage | None:
        for message in reversed(self.messages):
            if message.message_id == message_id:
                return message
        return None

    @property
    def bot_messages(self) -> list[FakeMessage]:
        """Messages the bot sent here and has not deleted, oldest first."""
        return [m for m in self.messages if m.from_bot and not m.deleted]

    def to_api(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.first_name or ""
            if self.username:
                chat["username"] = self.username
        else:
            chat["title"] = self.title or ""
        return chat


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot said when answering a callback query."""

    text: str | None
    show_alert: bool
    url: str | None


@dataclass(eq=False)
class CallbackQuery:
    id: str
    message: FakeMessage
    data: str
    answer: CallbackAnswer | None = None


@dataclass(frozen=True)
class ApiRequest:
    """One request the bot made, as received: ``params`` hold strings for form encodings and
    JSON types for a JSON body."""

    method: str
    params: dict[str, Any]
    content_type: str
    files: dict[str, UploadedFile]


@dataclass(frozen=True)
class Fault:
    """A canned misbehaviour for the next call of one method: wait ``delay`` seconds, then
    answer with an error instead of doing the call (unless ``error_code`` is None)."""

    error_code: int | None = None
    description: str = ""
    retry_after: int | None = None
    delay: float = 0.0

    @classmethod
    def flood(cls, retry_after: int = 1) -> Fault:
        return cls(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    @classmethod
    def server_error(cls) -> Fault:
        return cls(500, "Internal Server Error")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay=seconds)


def _document(stored: StoredFile) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if stored.filename:
        document["file_name"] = stored.filename
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


def _photo_size(stored: StoredFile) -> dict[str, Any]:
    width, height = _png_size(stored.data)
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": len(stored.data),
    }


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG header; (0, 0) for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0
