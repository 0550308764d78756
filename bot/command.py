"""What a command is: its name, the line that explains it, where it works, and its handler.

The tables live with their features (bot/private/commands.py, bot/movienight/commands.py,
bot/handlers/admin.py); bot/commands.py gathers them into the one registry.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

Scope = Literal["private", "group", "admin"]


@dataclass(frozen=True)
class Command:
    """``handler`` is what the scope's dispatcher calls: for "private" a chat command
    ``(service, person, args) -> replies``, for "group" ``(group, person, chat, args) ->
    outcome``, for "admin" a PTB handler ``(update, context)``. An empty ``help`` keeps the
    command out of /help and Telegram's command menu (/start)."""

    name: str
    help: str
    scope: Scope
    handler: Callable[..., Coroutine[Any, Any, Any]]


def menu(commands: tuple[Command, ...]) -> list[tuple[str, str]]:
    """(name, help) of the commands that are listed, in table order."""
    return [(c.name, c.help) for c in commands if c.help]


def by_name(commands: tuple[Command, ...]) -> dict[str, Command]:
    return {c.name: c for c in commands}
