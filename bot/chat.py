"""The private-chat conversation: commands, free text and button presses in, replies out.

No Telegram types: the PTB handlers and the console both drive this, so the console shows
exactly what Telegram users get. A button press yields an :class:`Outcome`: what to write into
the message that carried the button, what to send as new messages, and the short notice that
answers the press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

from bot import callbacks as cb
from bot import views
from bot.filters import Filter, FilterError, parse_filter, parse_key
from bot.service import MovieService, UnknownFilm
from bot.views import Reply, escape

MAX_TEXT = 200  # longer messages are not titles
EXPIRED = "This button has expired."


@dataclass(frozen=True)
class Person:
    user_id: int
    first_name: str = ""
    language: str | None = None


@dataclass
class Outcome:
    """What a button press does: edit its message, send new ones, answer the press."""

    edit: Reply | None = None
    send: list[Reply] = field(default_factory=list)
    notice: str | None = None


class Chat:
    """Turns what a user does into service calls and views."""

    def __init__(self, service: MovieService) -> None:
        self.service = service
        self._commands = {
            "start": self._start,
            "help": self._help,
            "rate": self._rate,
            "recommend": self._recommend,
            "search": self._search,
            "similar": self._similar,
            "watchlist": self._watchlist,
            "myratings": self._my_ratings,
            "map": self._map,
            "undo": self._undo,
            "forget": self._forget,
            "export": self._export,
        }

    @property
    def command_names(self) -> list[str]:
        return list(self._commands)

    # ------------------------------------------------------------------ messages

    async def command(self, person: Person, name: str, args: str = "") -> list[Reply]:
        handler = self._commands.get(name.lower())
        if name.lower() == "movienight":
            return [Reply("Movie night works in groups: add me to a group chat and send "
                          "/movienight there.")]  # fmt: skip
        if handler is None:
            return [Reply(f"I don't know /{escape(_short(name))}. /help lists what I can do.")]
        await self.service.register(person.user_id, person.first_name, person.language)
        return await handler(person, args.strip())

    async def text(self, person: Person, text: str) -> list[Reply]:
        """Plain text is a title search."""
        await self.service.register(person.user_id, person.first_name, person.language)
        return await self._search(person, text)

    async def _start(self, person: Person, args: str) -> list[Reply]:
        card = await self._card_reply(person.user_id)
        if args == "rate":  # deep link t.me/<bot>?start=rate: straight to rating
            return [card]
        return [views.welcome(person.first_name), card]

    async def _help(self, person: Person, args: str) -> list[Reply]:
        return [views.help_text()]

    async def _rate(self, person: Person, args: str) -> list[Reply]:
        return [await self._card_reply(person.user_id)]

    async def _card_reply(self, user_id: int) -> Reply:
        card = await self.service.next_card(user_id)
        if card is None:
            return views.no_more_cards(await self.service.rating_count(user_id))
        return views.card(card)

    async def _recommend(self, person: Person, args: str) -> list[Reply]:
        try:
            chosen = parse_filter(args, self.service.genres)
        except FilterError as exc:
            return [Reply(escape(str(exc)))]
        return [await self._recommend_page(person.user_id, chosen, 0)]

    async def _recommend_page(self, user_id: int, chosen: Filter, page: int) -> Reply:
        result = await self.service.recommend(user_id, chosen, page)
        key = chosen.key(self.service.genres) if (chosen.genre or chosen.years) else None
        return views.recommendations(result, key)

    async def _search(self, person: Person, args: str) -> list[Reply]:
        if not args:
            return [Reply("Send a title after /search, like <code>/search heat 1995</code>.")]
        if len(args) > MAX_TEXT:
            return [Reply("That's too long to be a film title. Try a few words of it.")]
        films = self.service.search(args)
        return [
            views.film_list(
                "Is it one of these?",
                films,
                f"I found no film called “{_short(args, 60)}”. Check the spelling?",
            )
        ]

    async def _similar(self, person: Person, args: str) -> list[Reply]:
        if not args:
            return [Reply("Name a film after /similar, like <code>/similar alien</code>.")]
        if len(args) > MAX_TEXT:
            return [Reply("That's too long to be a film title. Try a few words of it.")]
        found = self.service.search(args, limit=1)
        if not found:
            return [Reply(escape(f"I found no film called “{_short(args, 60)}”."))]
        film = found[0]
        similar = await self.service.similar(film.item_id)
        return [
            views.film_list(
                f"Films like {views.film_label(film)}",
                similar,
                f"I know too little about {views.film_label(film)} to compare it.",
            )
        ]

    async def _watchlist(self, person: Person, args: str) -> list[Reply]:
        return [views.watchlist(await self.service.watchlist(person.user_id))]

    async def _my_ratings(self, person: Person, args: str) -> list[Reply]:
        return [views.my_ratings(await self.service.my_ratings(person.user_id))]

    async def _map(self, person: Person, args: str) -> list[Reply]:
        png = await self.service.taste_map(person.user_id)
        if png is None:
            return [Reply("Rate at least 5 films (/rate) and I will draw your map of films.")]
        caption = (
            "Films that the same people watch sit together. Yours are coloured by your stars; "
            "the blue stars are what I suggest next."
        )
        return [Reply(caption, photo=png)]

    async def _undo(self, person: Person, args: str) -> list[Reply]:
        return [Reply(await self._undo_text(person.user_id))]

    async def _undo_text(self, user_id: int) -> str:
        undone = await self.service.undo(user_id)
        if undone is None:
            return "Nothing to undo."
        answer, film = undone
        name = views.film_html(film) if film else "that film"
        what = {
            "rated": "your rating of",
            "unseen": "“haven't seen” for",
            "not_interested": "“not interested” for",
            "skipped": "the skip of",
        }[answer.kind]
        return f"Took back {what} {name}."

    async def _forget(self, person: Person, args: str) -> list[Reply]:
        return [views.forget_prompt()]

    async def _export(self, person: Person, args: str) -> list[Reply]:
        count = await self.service.rating_count(person.user_id)
        if count == 0:
            return [Reply("You have no ratings to export yet. /rate to start.")]
        content = (await self.service.export_csv(person.user_id)).encode()
        return [Reply(f"Your {count} ratings.", document=("my-ratings.csv", content))]

    # ------------------------------------------------------------------ buttons

    async def button(self, person: Person, data: str) -> Outcome:
        """A button press; stale, forged or unknown data changes nothing."""
        action = cb.parse(data)
        if action is None:
            return Outcome(notice=EXPIRED)
        await self.service.register(person.user_id, person.first_name, person.language)
        user = person.user_id
        try:
            return await self._press(user, action)
        except UnknownFilm:
            return Outcome(notice=EXPIRED)

    async def _press(self, user: int, action: cb.Action) -> Outcome:
        service = self.service
        match action:
            case cb.Rate(item_id, stars):
                await service.rate(user, item_id, stars)
                return Outcome(
                    edit=await self._card_reply(user), notice=f"Saved {views.stars_text(stars)}"
                )
            case cb.Dismiss(item_id, kind):
                await service.dismiss(user, item_id, kind)
                return Outcome(edit=await self._card_reply(user))
            case cb.Done():
                return Outcome(edit=views.done(await service.rating_count(user)))
            case cb.Undo():
                return Outcome(notice=_plain(await self._undo_text(user)))
            case cb.RecMore(page, key):
                try:
                    chosen = parse_key(key, service.genres)
                except FilterError:
                    return Outcome(notice=EXPIRED)
                return Outcome(send=[await self._recommend_page(user, chosen, page)])
            case cb.OpenFilm(item_id):
                return Outcome(send=[views.card(await service.card(user, item_id))])
            case cb.WatchLater(item_id):
                added = await service.watch_later(user, item_id)
                title = views.film_label(service.film(item_id))
                return Outcome(notice=f"Saved {title} for later" if added else "Already saved")
            case cb.WatchRemove(item_id, page):
                await service.unwatch(user, item_id)
                return Outcome(
                    edit=views.watchlist(await service.watchlist(user), page or 0),
                    notice="Removed",
                )
            case cb.MyWatchlist(page):
                return Outcome(edit=views.watchlist(await service.watchlist(user), page))
            case cb.NotInterested(item_id):
                await service.not_interested(user, item_id)
                return Outcome(notice="Got it — I won't suggest it again")
            case cb.MyRatings(page):
                return Outcome(edit=views.my_ratings(await service.my_ratings(user, page)))
            case cb.DeleteRating(item_id):
                deleted = await service.delete_rating(user, item_id)
                return Outcome(
                    edit=views.my_ratings(await service.my_ratings(user)),
                    notice="Deleted" if deleted else "Already gone",
                )
            case cb.ForgetConfirm():
                await service.forget(user)
                return Outcome(
                    edit=Reply(
                        "Done: I have forgotten everything about you. /start to begin again."
                    )
                )
            case cb.ForgetCancel():
                return Outcome(edit=Reply("Nothing was deleted."))
        return Outcome(notice=EXPIRED)  # group buttons in a private chat, and the like


def _short(text: str, limit: int = 32) -> str:
    """Plain text on one line, cut to ``limit`` characters; escape it where it goes into HTML."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(html_text: str) -> str:
    """Notices are plain text: drop the tags views put in."""
    return unescape(re.sub(r"<[^>]+>", "", html_text))
