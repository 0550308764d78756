"""``python -m bot --console``: chat with the bot in a terminal, no Telegram needed.

It drives the same chat layer as Telegram: type commands or a title; buttons are numbered, and
typing ``#3`` (or just ``3``) presses button 3 of any message still on screen. ``/console``
lists what only the console has: acting as several people, a group chat, an admin.

Lines are read from standard input by the event loop itself (``add_reader``), never by a
thread blocked in ``input()``: such a thread kept Ctrl-C waiting for Enter, since the
loop cannot close until its threads return.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.commands import menu_of
from bot.config import Settings
from bot.runtime import close_resources, open_resources

from .screen import Screen
from .session import YOU, Session

__all__ = ["Screen", "Session", "files_folder", "run_console"]
PROMPT = "> "


def files_folder(settings: Settings) -> Path:
    """Where the console saves the pictures and files the bot sends (/map, /export)."""
    return settings.data_dir / "console"


async def run_console(settings: Settings) -> None:
    resources = await open_resources(settings)
    screen = Screen(print, files_folder(settings))
    session = Session(resources, screen)
    print("moviebot console — type /start, a film title, or a button number. Ctrl-D quits.")
    print("Commands: " + " ".join(f"/{name}" for name, _ in menu_of("private")))
    print("Console only: /as NAME, /group, /private, /vote N, /send PATH, /console (help)\n")
    try:
        session.show_private(await resources.chat.command(YOU, "start"))
        async for line in _lines():
            if not await session.line(line):
                break
    finally:
        for run in session.runs:
            run.cancel()
        await close_resources(resources)
        print("bye", file=sys.stderr)


async def _lines() -> AsyncIterator[str]:
    """Typed lines until end of input; a prompt before each."""
    loop = asyncio.get_running_loop()
    fd = sys.stdin.fileno()
    chunks: asyncio.Queue[bytes] = asyncio.Queue()
    try:
        loop.add_reader(fd, lambda: chunks.put_nowait(os.read(fd, 65536)))
    except PermissionError:  # a regular file (epoll refuses those): reading never blocks
        for line in sys.stdin:
            yield line
        return
    try:
        pending = b""
        while True:
            print(PROMPT, end="", flush=True)
            while b"\n" not in pending:
                chunk = await chunks.get()
                if not chunk:  # end of input
                    if pending:
                        yield pending.decode(errors="replace")
                    return
                pending += chunk
            line, _, pending = pending.partition(b"\n")
            yield line.decode(errors="replace")
    finally:
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(fd)
