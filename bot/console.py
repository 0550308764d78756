"""``python -m bot --console``: chat with the bot in a terminal, no Telegram needed.

It drives the same chat layer as Telegram: type commands or a title; buttons are numbered, and
typing ``#3`` presses button 3 of the latest message that has buttons (or just ``3``).
"""

from __future__ import annotations

import asyncio
import re
import sys
from html import unescape

from bot.commands import menu_of
from bot.config import Settings
from bot.private.chat import Chat
from bot.replies import Button, Person, Reply
from bot.runtime import close_resources, open_resources

CONSOLE_USER = Person(1, "you", "en")
_TAGS = re.compile(r"<[^>]+>")


def render(reply: Reply, buttons: list[Button]) -> str:
    """The reply as terminal text; its buttons are appended to ``buttons`` and numbered."""
    lines = [unescape(_TAGS.sub("", reply.text))]
    for row in reply.buttons:
        cells = []
        for button in row:
            buttons.append(button)
            cells.append(f"[{len(buttons)}] {button.label}")
        lines.append("   ".join(cells))
    if reply.photo:
        lines.append(f"(picture: {len(reply.photo):,} bytes of PNG — in Telegram it shows here)")
    if reply.photo_url:
        lines.append(f"(poster: {reply.photo_url})")
    if reply.document:
        lines.append(f"(file: {reply.document[0]}, {len(reply.document[1])} bytes)")
    return "\n".join(lines)


async def run_console(settings: Settings, person: Person = CONSOLE_USER) -> None:
    resources = await open_resources(settings)
    chat: Chat = resources.chat
    buttons: list[Button] = []
    print("moviebot console — type /start, a film title, or a button number. Ctrl-D quits.")
    print("Commands: " + " ".join(f"/{name}" for name, _ in menu_of("private")) + "\n")
    try:
        for reply in await chat.command(person, "start"):
            print(_show(reply, buttons))
        while True:
            try:
                line = (await asyncio.to_thread(input, "> ")).strip()
            except EOFError:
                break
            if not line:
                continue
            choice = line.removeprefix("#")
            if choice.isdigit():
                index = int(choice) - 1
                if not 0 <= index < len(buttons) or buttons[index].data is None:
                    print(
                        "No such button." if not 0 <= index < len(buttons) else buttons[index].url
                    )
                    continue
                outcome = await chat.button(person, buttons[index].data or "")
                if outcome.notice:
                    print(f"({outcome.notice})")
                shown = ([outcome.edit] if outcome.edit else []) + outcome.send
                if shown:
                    buttons = []
                for reply in shown:
                    print(render(reply, buttons))
                continue
            if line.startswith("/"):
                word, _, args = line.partition(" ")
                replies = await chat.command(person, word[1:], args)
            else:
                replies = await chat.text(person, line)
            buttons = []
            for reply in replies:
                print(render(reply, buttons))
    finally:
        await close_resources(resources)
        print("bye", file=sys.stderr)


def _show(reply: Reply, buttons: list[Button]) -> str:
    return render(reply, buttons)
