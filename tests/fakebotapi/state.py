"""The fake Telegram's memory: chats, the update queue with getUpdates' offset rules, callback
queries, files, commands and the webhook. No HTTP here; ``methods`` and ``people`` use it."""

from __future__ import annotations

import contextlib
import itertools
import time
from collections import Counter
from typing import Any

from .params import ApiError, bad_request
from .records import CallbackQuery, FakeChat, FakeMessage, Signal, StoredFile

# getUpdates without allowed_updates delivers every kind of update except these.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class TelegramState:
    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self.signal = Signal()
        self.chats: dict[int, FakeChat] = {}
        self.pending: list[dict[str, Any]] = []
        """Updates not yet confirmed by an offset, oldest first."""
        self.deliveries: Counter[int] = Counter()
        """How many getUpdates responses carried each update id."""
        self.allowed_updates: frozenset[str] | None = None
        self.poll_generation = 0
        self.polls_answered = 0
        self.callback_queries: dict[str, CallbackQuery] = {}
        self.files: dict[str, StoredFile] = {}
        self.webhook: dict[str, Any] | None = None
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.polls: dict[str, FakeMessage] = {}
        self.inline_queries: dict[str, Any] = {}  # id -> inline.InlineQuery
        self.closing = False
        self._update_ids = itertools.count(1)
        self._forced: set[int] = set()  # ids of pending updates pushed raw: always delivered
        self._serials = itertools.count(1)

    @staticmethod
    def now() -> int:
        return int(time.time())

    def serial(self) -> int:
        """A fresh number for ids of files, queries and polls."""
        return next(self._serials)

    # -- chats ------------------------------------------------------------------------------

    def add_chat(self, chat: FakeChat) -> FakeChat:
        return self.chats.setdefault(chat.id, chat)

    def chat(self, chat_id: int | str | None) -> FakeChat:
        """The chat a request names (by id or @username), or 400 "chat not found"."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for candidate in self.chats.values():
                if candidate.username and f"@{candidate.username}" == chat_id:
                    return candidate
            raise bad_request("chat not found")
        found: FakeChat | None = None
        if chat_id is not None:
            with contextlib.suppress(ValueError):
                found = self.chats.get(int(chat_id))
        if found is None:
            raise bad_request("chat not found" if chat_id is not None else "chat_id is empty")
        return found

    def writable_chat(self, chat_id: int | str | None) -> FakeChat:
        chat = self.chat(chat_id)
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def post(self, chat: FakeChat, sender: dict[str, Any], **fields: Any) -> FakeMessage:
        """Append a new message to a chat's transcript."""
        message = FakeMessage(
            chat=chat, message_id=chat.next_message_id(), sender=sender, date=self.now(), **fields
        )
        chat.messages.append(message)
        self.signal.notify()
        return message

    def editable(self, chat_id: int | str | None, message_id: int | None) -> FakeMessage:
        """A bot message that an edit may change, or the 400 Telegram gives."""
        if message_id is None:
            raise bad_request("message_id is empty")
        chat = self.writable_chat(chat_id)
        message = chat.message(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    # -- updates ----------------------------------------------------------------------------

    def push_update(self, kind: str, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self.pending.append({"update_id": update_id, kind: payload})
        self.signal.notify()
        return update_id

    def push_raw(self, update: dict[str, Any]) -> int:
        """Deliver ``update`` exactly as given, of any kind, as a broken or hostile server
        would; it gets the next update id unless it names one (of any JSON type)."""
        update_id = next(self._update_ids)
        self.pending.append({"update_id": update_id, **update})
        self._forced.add(id(self.pending[-1]))
        self.signal.notify()
        return update_id

    def confirm(self, offset: int | None) -> None:
        """getUpdates' offset: updates below a positive offset are confirmed and forgotten; a
        negative one keeps only the last -offset updates."""
        if offset is None or offset == 0:
            return
        if offset > 0:
            # An id that is no number (push_raw) is confirmed by any offset.
            self.pending = [
                u
                for u in self.pending
                if isinstance(u["update_id"], int) and u["update_id"] >= offset
            ]
        else:
            self.pending = self.pending[offset:]

    def deliverable(self) -> list[dict[str, Any]]:
        """Pending updates of allowed kinds (others are dropped: Telegram never stores them)."""
        self.pending = [u for u in self.pending if self._allowed(u)]
        return self.pending

    def _allowed(self, update: dict[str, Any]) -> bool:
        if id(update) in self._forced:
            return True
        kind = next(key for key in update if key != "update_id")
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in _OPT_IN_UPDATES

    def new_callback_query(self, message: FakeMessage, data: str) -> CallbackQuery:
        query = CallbackQuery(id=str(10_000_000 + self.serial()), message=message, data=data)
        self.callback_queries[query.id] = query
        return query

    def store_file(self, stored: StoredFile) -> StoredFile:
        self.files[stored.file_id] = stored
        return stored
