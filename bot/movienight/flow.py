"""Movie nights in group chats: commands, button presses and poll changes in; what to post,
edit and ask of Telegram out. No Telegram types (like bot/private/chat.py), so tests and the bench
drive it with plain calls.

A night lives in one message ("Movie night! Who's in?") that is edited as people join and
leave. "Suggest" asks the night service (bot/service/nights.py) for the films that suit
everyone who joined and opens a native poll; closing it announces the pick. Everything it reads
or writes goes through that service.

The poll's "Close vote" button carries the same action as "Suggest" (``ns1:<night>``): both
move the night to its next step, and the message pressed tells which step is meant (the night
message while it is open, the poll's message while it is voting), so a late double tap on
Suggest can never close a vote. A separate action would need a new tag in bot/callbacks.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot import callbacks as cb
from bot.command import by_name
from bot.filters import Filter, FilterError, parse_filter, parse_key
from bot.movienight import maths, views
from bot.movienight.commands import GROUP
from bot.movienight.types import GroupChat, GroupOutcome, StopRequest, VoteRequest
from bot.private.commands import PRIVATE
from bot.replies import EXPIRED, Person, Reply, escape, no_film_known
from bot.service import PERSONAL_AFTER, Film, MovieService, NightService, UnknownFilm
from bot.storage import MovieNight

__all__ = ["STALE_AFTER_S", "Group", "GroupChat", "GroupOutcome", "StopRequest", "VoteRequest"]

STALE_AFTER_S = 12 * 3600  # a night this old no longer blocks a new /movienight
_COMMANDS = by_name(GROUP)
_PRIVATE_NAMES = frozenset(c.name for c in PRIVATE)
# A filter must leave at least this many films before anyone's ratings are taken out: over
# two films, which of them came up would tell the group who has seen what.
MIN_FILTERED_FILMS = 30


class Group:
    """Turns what people do in a group into movie nights."""

    def __init__(self, service: MovieService, clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.nights = NightService(service)
        self._clock = clock
        # Who joined each night with too few ratings, told so in one message per night that
        # grows as more join (not a message each: 20 a minute is all a group gets). In
        # memory: after a restart someone may be told twice, which is harmless.
        self._told: dict[int, list[tuple[int, str]]] = {}  # night -> (user id, name)
        self._hints: dict[int, int] = {}  # night -> id of the message that tells them
        # The group chat of each poll put to a vote, so that votes (which name no chat) run
        # in their group's lane, after the presses before them (bot/lanes.py).
        self.poll_chats: dict[str, int] = {}

    # ------------------------------------------------------------------ commands

    async def command(
        self, person: Person, chat: GroupChat, name: str, args: str = "", *, addressed: bool
    ) -> GroupOutcome:
        """A /command in the group; ``addressed``: it named this bot (/cmd@this_bot). Unknown
        bare commands may be another bot's, so they get no answer."""
        found = _COMMANDS.get(name.lower())
        if found is not None:
            outcome: GroupOutcome = await found.handler(self, person, chat, args)
            return outcome
        out = GroupOutcome(chat.chat_id)
        if addressed:
            out.send.append(views.group_unknown(name.lower(), chat.bot_username, _PRIVATE_NAMES))
        return out

    async def start_night(self, person: Person, chat: GroupChat, args: str) -> GroupOutcome:
        """/movienight: a new night, unless one is running (a stale one gives way)."""
        await self.service.register(person.user_id, person.first_name, person.language)
        out = GroupOutcome(chat.chat_id)
        try:
            chosen = parse_filter(args, self.service.genres)
        except FilterError as exc:
            out.send.append(Reply(escape(str(exc))))
            return out
        if chosen.genres or chosen.years:
            matching = await self.nights.films_matching(chosen)
            if matching == 0:
                out.send.append(Reply(escape(no_film_known(chosen, self.service.catalog))))
                return out
            if matching < MIN_FILTERED_FILMS:
                out.send.append(views.filter_too_narrow(chosen.describe(), matching))
                return out
        await self.nights.remember_group(chat.chat_id, chat.title)
        current = await self.nights.current(chat.chat_id)
        if current is not None:
            # One night at a time: a second /movienight points at the running one rather than
            # wiping who joined. Only a night nobody finished in 12 hours, a night whose
            # message never got out (a failed send, a crash before it), or a vote whose poll
            # never got out, gives way to a new one. (A group's updates run one at a time,
            # so no night is between its creation and its post here.)
            ballot = await self.nights.ballot(current.night_id)
            lost_poll = current.status == "voting" and ballot is not None and not ballot.poll_id
            lost_post = current.message_id is None
            fresh = self._clock() - current.created_at < STALE_AFTER_S
            if fresh and not lost_poll and not lost_post:
                out.send.append(views.night_running(current.status == "voting"))
                return out
            await self.nights.cancel(current.night_id)
            if current.message_id is not None:
                out.edits.append((current.message_id, views.night_expired()))
        key = chosen.key(self.service.genres) if (chosen.genres or chosen.years) else ""
        night_id = await self.nights.open_night(chat.chat_id, person.user_id, key)
        out.night_post = (night_id, views.night_open(night_id, [], chosen.describe()))
        return out

    async def night_posted(self, night_id: int, message_id: int) -> None:
        await self.nights.posted(night_id, message_id)

    # ------------------------------------------------------------------ buttons

    async def button(
        self, person: Person, chat: GroupChat, message_id: int, data: str
    ) -> GroupOutcome:
        """A press on a movie-night button. Stale, forged or foreign ones (another group's
        night, a closed night, an old message) answer "expired" and change nothing."""
        expired = GroupOutcome(chat.chat_id, notice=EXPIRED)
        action = cb.parse(data)
        if not isinstance(action, cb.NightJoin | cb.NightLeave | cb.NightSuggest):
            return expired
        night = await self.nights.night(action.night_id)
        if night is None or night.chat_id != chat.chat_id:
            return expired
        on_night_message = night.message_id in (None, message_id)
        if night.status == "open" and on_night_message:
            await self.service.register(person.user_id, person.first_name, person.language)
            match action:
                case cb.NightJoin():
                    return await self._join(person, chat, night, message_id)
                case cb.NightLeave():
                    return await self._leave(person, chat, night, message_id)
                case cb.NightSuggest():
                    return await self._suggest(person, chat, night, message_id)
        if night.status == "voting" and isinstance(action, cb.NightSuggest):
            ballot = await self.nights.ballot(night.night_id)
            if ballot is not None and ballot.poll_message_id == message_id:
                return await self._close(person, chat, night, message_id)
            if on_night_message:
                return GroupOutcome(chat.chat_id, notice="The picks are out: vote in the poll!")
        return expired

    async def _join(
        self, person: Person, chat: GroupChat, night: MovieNight, message_id: int
    ) -> GroupOutcome:
        added = await self.nights.join(night.night_id, person.user_id)
        out = GroupOutcome(chat.chat_id, notice="You're in!" if added else "You're already in.")
        if added:
            out.edits.append((message_id, await self._night_view(night)))
        told = self._told.setdefault(night.night_id, [])
        if (
            person.user_id not in (user for user, _ in told)
            and await self.service.rating_count(person.user_id) < PERSONAL_AFTER
        ):
            told.append((person.user_id, person.first_name))
            hint = views.rate_first([name for _, name in told], chat.bot_username)
            if night.night_id in self._hints:
                out.edits.append((self._hints[night.night_id], hint))
            else:
                out.hint_post = (night.night_id, hint)
            out.notice = "You're in! Rate a few films with me first — the link is in the chat."
        return out

    def hint_posted(self, night_id: int, message_id: int) -> None:
        self._hints[night_id] = message_id

    async def _leave(
        self, person: Person, chat: GroupChat, night: MovieNight, message_id: int
    ) -> GroupOutcome:
        left = await self.nights.leave(night.night_id, person.user_id)
        out = GroupOutcome(chat.chat_id, notice="You're out." if left else "You weren't in.")
        if left:
            out.edits.append((message_id, await self._night_view(night)))
        return out

    async def _night_view(self, night: MovieNight) -> Reply:
        names = [name for _, name in await self.nights.people(night.night_id)]
        return views.night_open(night.night_id, names, self._filter(night).describe())

    # ------------------------------------------------------------------ suggesting

    async def _suggest(
        self, person: Person, chat: GroupChat, night: MovieNight, message_id: int
    ) -> GroupOutcome:
        out = GroupOutcome(chat.chat_id)
        people = await self.nights.people(night.night_id)
        if person.user_id not in [user_id for user_id, _ in people]:
            out.notice = "Tap “I'm in” first: only people who are in can ask for films."
            return out
        chosen = self._filter(night)
        scored = await self.nights.score(people, chosen)
        if scored is None:
            out.notice, out.alert = "Nobody who's in has rated enough films yet.", True
            out.send.append(views.nobody_rated(chat.bot_username))
            return out
        picks = scored.suggestion.picks
        described = chosen.describe()
        if len(picks) < 2:  # a poll needs two options
            where = f" in {described}" if described else ""
            out.notice, out.alert = f"I have too few films left to suggest{where}.", True
            return out
        films = [(p.item_id, p.score) for p in picks]
        if not await self.nights.open_vote(night.night_id, films):
            out.notice = "The picks are out: vote in the poll!"
            return out
        shown = [
            (self.service.film(p.item_id), p.score, scored.counted[p.best_for][1]) for p in picks
        ]
        names = [name for _, name in people]
        counted = [name for _, name in scored.counted]
        out.edits.append((message_id, views.night_voting(names, described)))
        out.send.append(
            views.group_picks(
                shown, counted, scored.left_out, described, scored.suggestion.threshold
            )
        )
        out.vote = VoteRequest(
            night.night_id,
            views.POLL_QUESTION,
            [views.poll_option(film) for film, _, _ in shown],
            views.close_vote_buttons(night.night_id),
        )
        return out

    def _filter(self, night: MovieNight) -> Filter:
        try:
            return parse_key(night.filter, self.service.genres)
        except FilterError:  # a night stored by an older version: no filter then
            return Filter()

    # ------------------------------------------------------------------ voting

    async def vote_posted(self, night_id: int, poll_id: str, message_id: int) -> None:
        await self.nights.vote_posted(night_id, poll_id, message_id)
        night = await self.nights.night(night_id)
        if night is not None:
            self.poll_chats[poll_id] = night.chat_id

    async def _close(
        self, person: Person, chat: GroupChat, night: MovieNight, message_id: int
    ) -> GroupOutcome:
        if person.user_id not in await self.nights.participants(night.night_id):
            return GroupOutcome(chat.chat_id, notice="Only people who are in can close the vote.")
        return GroupOutcome(
            chat.chat_id, notice="Counting the votes…", stop=StopRequest(night.night_id, message_id)
        )

    async def poll_answer(
        self, poll_id: str, user_id: int, options: list[int]
    ) -> GroupOutcome | None:
        """Someone voted (or took their vote back). Only people who are in count; once every
        one of them has voted, the vote stops. None when there is nothing to do."""
        night = await self.nights.by_poll(poll_id)
        if night is None or night.status != "voting":
            return None
        if not await self.nights.record_vote(night.night_id, user_id, options):
            return None  # not in the night: the poll shows the vote, the count ignores it
        ballot = await self.nights.ballot(night.night_id)
        if ballot is None or ballot.poll_message_id is None:
            return None
        _, voters = await self.nights.vote_counts(night.night_id, len(ballot.films))
        if voters < len(await self.nights.participants(night.night_id)):
            return None
        return GroupOutcome(night.chat_id, stop=StopRequest(night.night_id, ballot.poll_message_id))

    async def poll_changed(self, poll_id: str, closed: bool) -> GroupOutcome | None:
        """A poll's new state: a closed poll announces the pick (counted from the
        participants' votes, not the poll's totals). None when there is nothing to do."""
        night = await self.nights.by_poll(poll_id)
        if night is None or night.status != "voting" or not closed:
            return None
        return await self.vote_closed(night.night_id)

    async def vote_closed(self, night_id: int) -> GroupOutcome | None:
        """Count the participants' votes: the most votes win, ties go to the group's predicted
        stars. None if the night was closed already."""
        night = await self.nights.night(night_id)
        ballot = await self.nights.ballot(night_id)
        if night is None or ballot is None or night.status != "voting" or not ballot.films:
            return None
        scores = [score for _, score in ballot.films]
        counts, _ = await self.nights.vote_counts(night_id, len(scores))
        best = maths.winner(counts, scores)
        item_id = ballot.films[best][0]
        if not await self.nights.close_vote(night_id, item_id):
            return None
        self._told.pop(night_id, None)
        self._hints.pop(night_id, None)
        film = self._film(item_id)
        out = GroupOutcome(night.chat_id)
        if film is not None:
            tie = counts.count(counts[best]) > 1 and counts[best] > 0
            out.send.append(views.night_pick(film, counts[best], sum(counts), tie))
        if night.message_id is not None:
            names = [name for _, name in await self.nights.people(night_id)]
            out.edits.append((night.message_id, views.night_closed(names, film)))
        return out

    def _film(self, item_id: int) -> Film | None:
        try:
            return self.service.film(item_id)
        except UnknownFilm:  # the catalogue changed since the vote opened
            return None
