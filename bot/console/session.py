"""One console session: who is typing, in which chat, and what the bot does with each line.

The console plays every part Telegram would: several people (``/as alice``), each with a
private chat, one group chat for movie nights (``/group``, ``/private``), its native poll
(``/vote 2``), and an admin ("you") for ``/retrain``, ``/rollback`` and ``/stats``. It drives
the same chat, movie-night and retraining code as Telegram; only the printing is its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.command import by_name
from bot.handlers.admin import (
    ADMIN,
    NOT_ADMIN,
    describe,
    rollback_text,
    stats_pictures,
    stats_text,
)
from bot.imports import BadImport
from bot.movienight.types import GroupChat, GroupOutcome
from bot.private.commands import short
from bot.replies import Person, Reply, escape
from bot.retrain import AlreadyRunning
from bot.runtime import Resources

from .screen import Screen

YOU = Person(1, "you", "en")
BOT_USERNAME = "moviebot"
GROUP_CHAT = GroupChat(-1, "Console group", BOT_USERNAME)
ADMINS = frozenset({YOU.user_id})  # the person at the terminal runs the bot: an admin
_ADMIN = by_name(ADMIN)

HELP = """\
Console commands (besides the bot's own):
  /as NAME    act as someone else (a new person the first time); /as alone lists everyone
  /group      go to the group chat (movie nights: /movienight); /private goes back
  /vote N     vote for option N of the open poll, as whoever you are acting as
  /send PATH  send a file to the bot, as Telegram sends a document (an import of ratings)
  /console    this help; /quit (or Ctrl-D, Ctrl-C) leaves
"you" is an admin: /retrain, /rollback and /stats work in your private chat.
Buttons keep their numbers: type 7 (or #7) to press button 7 of any message."""


@dataclass
class _Poll:
    poll_id: str
    message_id: int
    options: int


class Session:
    """Feed it lines with :meth:`line`; it prints through its :class:`Screen`."""

    def __init__(self, resources: Resources, screen: Screen) -> None:
        self.resources = resources
        self.screen = screen
        self.people = {YOU.first_name: YOU}
        self.me = YOU.first_name
        self.where = "private"
        self._poll: _Poll | None = None
        self.runs: set[asyncio.Task[None]] = set()  # retraining runs under way

    @property
    def person(self) -> Person:
        return self.people[self.me]

    def say(self, text: str) -> None:
        """A line from the console itself, not from the bot."""
        self.screen.write(f"({text})")

    async def line(self, text: str) -> bool:
        """Act on one typed line; False when it asks to quit."""
        text = text.strip()
        choice = text.removeprefix("#")
        if not text:
            return True
        if choice.isdigit():
            await self.press(int(choice))
        elif text.startswith("/"):
            word, _, args = text.partition(" ")
            name, _, target = word[1:].partition("@")
            if name.lower() in ("quit", "exit"):
                return False
            await self.command(name.lower(), args.strip(), addressed=bool(target))
        elif self.where == "group":
            self.say("in a group the bot reads only commands: /movienight, /help")
        else:
            self.show_private(await self.resources.chat.text(self.person, text))
        return True

    # ------------------------------------------------------------------ typed commands

    async def command(self, name: str, args: str, *, addressed: bool = False) -> None:
        own = {
            "as": self._act_as,
            "group": self._to_group,
            "private": self._to_private,
            "vote": self._vote,
            "send": self._send,
            "console": self._help,
        }
        if name in own:
            await own[name](args)
        elif self.where == "group":
            outcome = await self.resources.group.command(
                self.person, GROUP_CHAT, name, args, addressed=addressed
            )
            await self.carry_out(outcome)
        elif name in _ADMIN:
            await self._admin(name)
        else:
            self.show_private(await self.resources.chat.command(self.person, name, args))
            if name == "movienight":
                self.say("in the console, /group takes you to a group chat")
            elif name == "import":
                self.say("in the console, /send PATH sends a file")

    async def _act_as(self, args: str) -> None:
        name = short(args, 20)
        if not name:
            self.say("here: " + ", ".join(self.people) + f"; you are acting as {self.me}")
            return
        if name not in self.people:
            self.people[name] = Person(len(self.people) + 1, name, "en")
        self.me = name
        self.say(f"acting as {name}, in the {self.where} chat")

    async def _to_group(self, args: str) -> None:
        self.where = "group"
        self.say(f"in {GROUP_CHAT.title} as {self.me}: /movienight starts a night")

    async def _to_private(self, args: str) -> None:
        self.where = "private"
        self.say(f"in {self.me}'s private chat with the bot")

    async def _help(self, args: str) -> None:
        self.screen.write(HELP)

    async def _send(self, args: str) -> None:
        """A file from this machine, sent to the bot's private chat as a document."""
        if self.where == "group":
            self.say("files go to the private chat: /private first")
            return
        if not args:
            self.say("name the file to send, like /send ~/Downloads/letterboxd.zip")
            return
        path, size = await asyncio.to_thread(_file, args)
        if size is None:
            self.say(f"no file at {path}")
            return

        async def download() -> bytes:  # only once the bot has accepted its size
            try:
                return await asyncio.to_thread(path.read_bytes)
            except OSError as error:
                raise BadImport(f"I could not read {path.name}: {error.strerror}.") from None

        chat = self.resources.chat
        self.show_private(await chat.document(self.person, path.name, size, download))

    # ------------------------------------------------------------------ buttons

    async def press(self, number: int) -> None:
        found = self.screen.button(number)
        if found is None:
            self.say(f"no button {number}: an edited message's buttons get new numbers")
            return
        button = found.button
        if button.url is not None:
            if button.url.endswith("?start=rate"):  # the deep link into the private chat
                self.where = "private"
                self.say(f"the link opens {self.me}'s private chat: {button.url}")
                self.show_private(await self.resources.chat.command(self.person, "start", "rate"))
            else:
                self.say(f"link: {button.url}")
            return
        if found.chat == "group":
            outcome = await self.resources.group.button(
                self.person, GROUP_CHAT, found.message_id, button.data or ""
            )
            if outcome.notice:
                self.say(f"to {self.me}: {outcome.notice}")
            await self.carry_out(outcome)
            return
        if found.chat != self.me:
            self.say(f"that button is in {found.chat}'s chat: /as {found.chat} first")
            return
        pressed = await self.resources.chat.button(self.person, button.data or "")
        if pressed.notice:
            self.say(pressed.notice)
        if pressed.edit is not None:
            self.show_private([pressed.edit], edits=found.message_id)
        self.show_private(pressed.send)

    # ------------------------------------------------------------------ showing

    def show_private(self, replies: list[Reply], *, edits: int | None = None) -> None:
        label = f"{self.me}'s chat, " if len(self.people) > 1 else ""
        for reply in replies:
            self.screen.show(reply, self.me, edits=edits, label=label)

    def _group(self, reply: Reply, *, edits: int | None = None) -> int:
        return self.screen.show(reply, "group", edits=edits, label="group, ")

    async def carry_out(self, outcome: GroupOutcome) -> None:
        """Do in the console what bot/handlers/group.py does in Telegram."""
        group = self.resources.group
        for message_id, reply in outcome.edits:
            self._group(reply, edits=message_id)
        for reply in outcome.send:
            self._group(reply)
        if outcome.hint_post is not None:
            night_id, reply = outcome.hint_post
            group.hint_posted(night_id, self._group(reply))
        if outcome.night_post is not None:
            night_id, reply = outcome.night_post
            await group.night_posted(night_id, self._group(reply))
        if outcome.vote is not None:
            vote = outcome.vote
            options = "\n".join(f"  {n}. {o}" for n, o in enumerate(vote.options, 1))
            text = f"📊 {vote.question}\n{options}\n(a poll: /vote N to vote)"
            message_id = self._group(Reply(escape(text), vote.buttons))
            self._poll = _Poll(f"console-{message_id}", message_id, len(vote.options))
            await group.vote_posted(vote.night_id, self._poll.poll_id, message_id)
        if outcome.stop is not None:
            if self._poll is not None and self._poll.message_id == outcome.stop.message_id:
                self._poll = None
            self.say("the poll is closed")
            follow = await group.vote_closed(outcome.stop.night_id)
            if follow is not None:
                await self.carry_out(follow)

    async def _vote(self, args: str) -> None:
        poll = self._poll
        if poll is None:
            self.say("no poll is open: in a movie night, “Suggest films” opens one")
            return
        if not (args.isdigit() and 1 <= int(args) <= poll.options):
            self.say(f"vote with a number from 1 to {poll.options}, like /vote 2")
            return
        self.say(f"{self.me} votes for {args}")
        outcome = await self.resources.group.poll_answer(
            poll.poll_id, self.person.user_id, [int(args) - 1]
        )
        if outcome is not None:
            await self.carry_out(outcome)

    # ------------------------------------------------------------------ admin

    async def _admin(self, name: str) -> None:
        if self.person.user_id not in ADMINS:
            self.show_private([Reply(NOT_ADMIN)])
            return
        retrainer = self.resources.retrainer
        if name == "rollback":
            self.show_private([Reply(escape(await rollback_text(retrainer)))])
        elif name == "stats":
            self.show_private([Reply(escape(await stats_text(self.resources)))])
            for png, caption in await stats_pictures(self.resources):
                self.show_private([Reply(escape(caption), photo=png)])
        elif retrainer.running:
            self.show_private([Reply("A retraining run is already in progress.")])
        else:
            status = self.screen.show(Reply("Retraining: starting…"), self.me)
            # In the background, as in Telegram: the console keeps answering meanwhile.
            run = asyncio.create_task(self._retrain(status))
            self.runs.add(run)
            run.add_done_callback(self.runs.discard)

    async def _retrain(self, status: int) -> None:
        async def progress(stage: str) -> None:
            self.screen.show(Reply(escape(f"Retraining: {stage}")), YOU.first_name, edits=status)

        try:
            report = await self.resources.retrainer.start(f"admin:{YOU.user_id}", progress)
        except AlreadyRunning:
            text = "A retraining run is already in progress."
        else:
            text = describe(report)
        self.screen.show(Reply(escape(text)), YOU.first_name, edits=status)


def _file(typed: str) -> tuple[Path, int | None]:
    """The path typed, and its size when it is a file (None otherwise)."""
    path = Path(typed).expanduser()
    return path, path.stat().st_size if path.is_file() else None
