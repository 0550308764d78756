# Waiting helpers take a default timeout so a broken bot fails a test instead of hanging it.
# ruff: noqa: ASYNC109
"""Scripted Telegram users and groups: they send messages, press buttons and vote, and wait
(event-driven) for what the bot does in return."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .formatting import utf16_length
from .inline import InlineAnswer, new_inline_query
from .records import CallbackAnswer, CallbackQuery, ChatType, FakeChat, FakeMessage, StoredFile
from .state import TelegramState

MessagePredicate = Callable[[FakeMessage], object]


class FakeGroup:
    """A group chat the bot is in; users talk there with ``user.send(text, chat=group)``."""

    def __init__(self, state: TelegramState, chat_id: int, title: str, kind: ChatType) -> None:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        self._state = state
        self.chat = state.add_chat(FakeChat(id=chat_id, type=kind, title=title))

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def messages(self) -> list[FakeMessage]:
        return self.chat.messages

    async def add_bot(self, by: FakeUser) -> None:
        """``by`` adds the bot to the group: a my_chat_member update, as Telegram sends."""
        self._state.push_update(
            "my_chat_member",
            {
                "chat": self.chat.to_api(),
                "from": by.to_api(),
                "date": self._state.now(),
                "old_chat_member": {"status": "left", "user": self._state.bot_user},
                "new_chat_member": {"status": "member", "user": self._state.bot_user},
            },
        )

    async def add_members(self, *users: FakeUser) -> FakeMessage:
        """Users join: a service message with new_chat_members."""
        message = self._state.post(
            self.chat,
            users[0].to_api(),
            extra={"new_chat_members": [user.to_api() for user in users]},
        )
        self._state.push_update("message", message.to_api())
        return message


class FakeUser:
    """A person talking to the bot, in their private chat (id = user id) or in groups."""

    def __init__(
        self,
        state: TelegramState,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> None:
        self._state = state
        self.id = user_id
        self.first_name = first_name
        self.username = username
        self.language_code = language_code
        self.chat = state.add_chat(
            FakeChat(id=user_id, type="private", first_name=first_name, username=username)
        )
        self._read: dict[int, int] = {}  # chat id -> transcript index read up to

    def to_api(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def transcript(self) -> list[FakeMessage]:
        """Everything said in the private chat with the bot, both ways, in order."""
        return self.chat.messages

    async def send(
        self,
        text: str,
        *,
        chat: FakeGroup | FakeChat | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """Write ``text`` (a leading /command gets its bot_command entity) and queue the
        update. Returns the user's message; the bot's answer comes via ``wait_for_message``."""
        target = self._chat(chat)
        entities = []
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities.append({"type": "bot_command", "offset": 0, "length": utf16_length(command)})
        message = self._state.post(
            target, self.to_api(), text=text, entities=entities, reply_to=reply_to
        )
        self._state.push_update("message", message.to_api())
        return message

    async def send_document(
        self, file_name: str, data: bytes, *, mime_type: str | None = None
    ) -> FakeMessage:
        """Send a file to the bot's private chat, as Telegram delivers it: a message whose
        ``document`` carries a file_id (and file_size) that getFile and the file URL serve."""
        stored = self._state.store_file(
            StoredFile(
                f"doc-{self._state.serial()}", f"ud{self._state.serial()}", file_name,
                mime_type, data,
            )
        )  # fmt: skip
        message = self._state.post(self.chat, self.to_api(), document=stored)
        self._state.push_update("message", message.to_api())
        return message

    async def press(
        self, message: FakeMessage, button_text: str, *, timeout: float = 5.0
    ) -> CallbackAnswer:
        """Tap the button labelled ``button_text`` on the message's current keyboard; returns
        once the bot has answered the callback query (TimeoutError if it never does)."""
        if message.deleted:
            raise LookupError(f"message {message.message_id} was deleted")
        button = message.button(button_text)
        if "callback_data" not in button:
            raise ValueError(f"button {button_text!r} is not a callback button: {button}")
        return await self.press_data(message, button["callback_data"], timeout=timeout)

    async def press_data(
        self, message: FakeMessage, data: str, *, timeout: float = 5.0
    ) -> CallbackAnswer:
        """Send a callback query with any ``data``, as a stale or forged button would."""
        query = self.tap(message, data)
        return await self._state.signal.wait_for(
            lambda: query.answer,
            timeout,
            lambda: f"the bot did not answer the callback query {data!r}",
        )

    def tap(self, message: FakeMessage, data: str) -> CallbackQuery:
        """Queue a callback query with ``data`` from ``message`` without waiting for the
        answer (load generators track thousands of these at once)."""
        query = self._state.new_callback_query(message, data)
        self._state.push_update(
            "callback_query",
            {
                "id": query.id,
                "from": self.to_api(),
                "message": message.to_api(),
                "chat_instance": str(message.chat.id),
                "data": data,
            },
        )
        return query

    async def ask_inline(self, query: str, *, timeout: float = 5.0) -> InlineAnswer:
        """Type ``@bot <query>`` in any chat; returns the bot's answerInlineQuery."""
        asked = new_inline_query(self._state, self.to_api(), query)
        return await self._state.signal.wait_for(
            lambda: asked.answer, timeout, lambda: f"the bot did not answer @bot {query!r}"
        )

    async def wait_for_message(
        self,
        predicate: MessagePredicate | None = None,
        *,
        chat: FakeGroup | FakeChat | None = None,
        timeout: float = 5.0,
    ) -> FakeMessage:
        """The next message from the bot in the chat (default: the private one) that matches
        ``predicate``, reading the transcript forward: each call starts after the message the
        previous call returned, so a reply that came before the call is still found."""
        target = self._chat(chat)

        def find() -> FakeMessage | None:
            start = self._read.get(target.id, 0)
            for index in range(start, len(target.messages)):
                message = target.messages[index]
                if message.from_bot and (predicate is None or predicate(message)):
                    self._read[target.id] = index + 1
                    return message
            return None

        def describe() -> str:
            texts = [m.text or m.caption or "<media>" for m in target.bot_messages[-5:]]
            return f"no matching bot message in chat {target.id}; last ones: {texts}"

        return await self._state.signal.wait_for(find, timeout, describe)

    async def wait_for_edit(
        self, message: FakeMessage, predicate: MessagePredicate, *, timeout: float = 5.0
    ) -> FakeMessage:
        """Wait until ``predicate(message)`` holds for the (live) message."""
        return await self._state.signal.wait_for(
            lambda: message if predicate(message) else None,
            timeout,
            lambda: (
                f"message {message.message_id} is now {message.text!r} "
                f"with buttons {message.button_texts}"
            ),
        )

    async def vote(self, message: FakeMessage, option_ids: Sequence[int]) -> None:
        """Vote in a poll the bot sent: updates the counts and sends poll / poll_answer
        updates like Telegram (poll_answer only for non-anonymous polls)."""
        poll = message.poll
        if poll is None or poll["is_closed"]:
            raise ValueError("no open poll on this message")
        options = [dict(option) for option in poll["options"]]
        for index in option_ids:
            options[index]["voter_count"] += 1
        poll = {**poll, "options": options, "total_voter_count": poll["total_voter_count"] + 1}
        message.poll = poll
        self._state.signal.notify()
        if not poll["is_anonymous"]:
            self._state.push_update(
                "poll_answer",
                {
                    "poll_id": poll["id"],
                    "user": self.to_api(),
                    "option_ids": list(option_ids),
                    "option_persistent_ids": [options[i]["persistent_id"] for i in option_ids],
                },
            )
        self._state.push_update("poll", poll)

    def block_bot(self) -> None:
        """Block the bot: from now on sending here answers 403, and the bot is told with a
        my_chat_member update (status "kicked")."""
        self._set_blocked(True)

    def unblock_bot(self) -> None:
        self._set_blocked(False)

    def _set_blocked(self, blocked: bool) -> None:
        self.chat.blocked = blocked
        statuses = ("member", "kicked") if blocked else ("kicked", "member")
        members: list[dict[str, Any]] = [
            {"status": status, "user": self._state.bot_user} for status in statuses
        ]
        for member in members:
            if member["status"] == "kicked":
                member["until_date"] = 0
        self._state.push_update(
            "my_chat_member",
            {
                "chat": self.chat.to_api(),
                "from": self.to_api(),
                "date": self._state.now(),
                "old_chat_member": members[0],
                "new_chat_member": members[1],
            },
        )

    def _chat(self, chat: FakeGroup | FakeChat | None) -> FakeChat:
        if chat is None:
            return self.chat
        return chat.chat if isinstance(chat, FakeGroup) else chat
