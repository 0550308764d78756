"""The commands a group has: each one a function of the movie-night flow, the person, the
group and the text after the command; and their table, in the order Telegram lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.command import Command
from bot.movienight import views
from bot.movienight.types import GroupChat, GroupOutcome
from bot.replies import Person

if TYPE_CHECKING:  # the flow dispatches through this table: no import back at run time
    from bot.movienight.flow import Group


async def movie_night(group: Group, person: Person, chat: GroupChat, args: str) -> GroupOutcome:
    """/movienight [genre or years]: start a night, or point at the one running."""
    return await group.start_night(person, chat, args.strip())


async def help(group: Group, person: Person, chat: GroupChat, args: str) -> GroupOutcome:
    return GroupOutcome(chat.chat_id, send=[views.group_help(chat.bot_username)])


GROUP: tuple[Command, ...] = (
    Command(
        "movienight",
        "start a movie night: /movienight, /movienight comedy 1990s",
        "group",
        movie_night,
    ),
    Command("help", "how movie nights work", "group", help),
    Command("start", "", "group", help),
)
