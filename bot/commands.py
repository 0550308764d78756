"""The one registry of commands: every command the bot knows, with its help line, where it
works and its handler. It feeds PTB's handlers and Telegram's command menus (bot/app.py), the
chats' dispatch and /help (the tables' own modules), and the console's list.

The tables stay beside their handlers, one per scope; this is where they meet.
"""

from __future__ import annotations

from bot.command import Command, Scope, menu
from bot.handlers.admin import ADMIN
from bot.movienight.commands import GROUP
from bot.private.commands import PRIVATE

COMMANDS: tuple[Command, ...] = (*PRIVATE, *GROUP, *ADMIN)


def in_scope(scope: Scope) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if c.scope == scope)


def menu_of(scope: Scope) -> list[tuple[str, str]]:
    """(name, help) of the commands Telegram's menu lists in ``scope``."""
    return menu(in_scope(scope))
