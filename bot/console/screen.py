"""What the console shows: every message numbered, every button numbered for good, files saved.

Telegram keeps a message's buttons working after later messages; so does the console. A
button's number stays valid until its message is edited (Telegram then shows the new buttons,
numbered afresh). Pictures and files go to a folder, and the console prints their path.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path

from bot.replies import Button, Reply

_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Pressable:
    """A button on the screen: its message, the chat that message is in, and the button."""

    message_id: int
    chat: str  # "group", or the name of the person whose private chat it is in
    button: Button


@dataclass
class Screen:
    """The console's messages and buttons; ``write`` prints a block of text."""

    write: Callable[[str], None]
    files: Path
    _messages: int = 0
    _buttons: int = 0
    _pressable: dict[int, Pressable] = field(default_factory=dict)
    _on_message: dict[int, list[int]] = field(default_factory=dict)

    def show(self, reply: Reply, chat: str, *, edits: int | None = None, label: str = "") -> int:
        """Print ``reply`` as a new message in ``chat`` (or as message ``edits`` changed);
        returns its message id."""
        if edits is None:
            self._messages += 1
            message_id = self._messages
        else:
            message_id = edits
            for number in self._on_message.pop(message_id, []):
                self._pressable.pop(number, None)  # an edit replaces a message's buttons
        head = f"({label}message {message_id}" + (", edited)" if edits is not None else ")")
        self.write(head + "\n" + self._render(reply, chat, message_id))
        return message_id

    def button(self, number: int) -> Pressable | None:
        return self._pressable.get(number)

    def _render(self, reply: Reply, chat: str, message_id: int) -> str:
        lines = [text_of(reply.text)]
        numbers = self._on_message.setdefault(message_id, [])
        for row in reply.buttons:
            cells = []
            for button in row:
                self._buttons += 1
                self._pressable[self._buttons] = Pressable(message_id, chat, button)
                numbers.append(self._buttons)
                # A link button opens its address in Telegram; the console prints it.
                link = f" ({button.url})" if button.url else ""
                cells.append(f"[{self._buttons}] {button.label}{link}")
            lines.append("   ".join(cells))
        if reply.photo:
            path = self.save(f"picture-{message_id}.png", reply.photo)
            lines.append(f"(picture saved to {path})")
        if reply.photo_url:
            lines.append(f"(poster: {reply.photo_url})")
        if reply.document:
            name, content = reply.document
            path = self.save(f"{chat}-{message_id}-{name}", content)
            lines.append(f"(file saved to {path}, {len(content):,} bytes)")
        return "\n".join(lines)

    def save(self, name: str, content: bytes) -> Path:
        """Write a picture or file the bot sent into the console's folder; its path."""
        self.files.mkdir(parents=True, exist_ok=True)
        path = (self.files / _UNSAFE.sub("_", name)).resolve()
        path.write_bytes(content)
        return path


def text_of(html: str) -> str:
    """A reply's HTML as terminal text; a link keeps its address: "the trailer (https://…)"."""
    linked = _LINK.sub(lambda m: f"{m.group(2)} ({unescape(m.group(1))})", html)
    return unescape(_TAGS.sub("", linked))
