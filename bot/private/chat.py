"""The private-chat conversation: commands, free text and button presses in, replies out.

No Telegram types: the PTB handlers and the console both drive this, so the console shows
exactly what Telegram users get. A command runs the function the command table
(bot/private/commands.py) names; a button press yields an :class:`Outcome`: what to write
into the message that carried the button, what to send as new messages, and the short notice
that answers the press.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html import unescape

from bot import callbacks as cb
from bot.command import by_name
from bot.filters import FilterError, parse_key
from bot.imports import MAX_FILE_BYTES, BadImport, Importer
from bot.imports import views as import_views
from bot.imports.files import too_big
from bot.private import commands, views
from bot.replies import EXPIRED, Person, Reply, escape, film_label, stars_text
from bot.service import MovieService, UnknownFilm

__all__ = ["EXPIRED", "Chat", "Outcome", "Person"]


@dataclass
class Outcome:
    """What a button press does: edit its message, send new ones, answer the press."""

    edit: Reply | None = None
    send: list[Reply] = field(default_factory=list)
    notice: str | None = None


_COMMANDS = by_name(commands.PRIVATE)
Download = Callable[[], Awaitable[bytes]]


RATED_ALREADY = "You rated this film: tap new stars, or delete the rating in /myratings."


class Chat:
    """Turns what a user does into service calls and views."""

    def __init__(self, service: MovieService) -> None:
        self.service = service
        self.importer = Importer(service.storage, service.catalog)

    # ------------------------------------------------------------------ messages

    async def command(self, person: Person, name: str, args: str = "") -> list[Reply]:
        found = _COMMANDS.get(name.lower())
        if name.lower() == "movienight":
            return [Reply("Movie night works in groups: add me to a group chat and send "
                          "/movienight there.")]  # fmt: skip
        if found is None:
            short = commands.short(name)
            return [Reply(f"I don't know /{escape(short)}. /help lists what I can do.")]
        await self.service.register(person.user_id, person.first_name, person.language)
        replies: list[Reply] = await found.handler(self.service, person, args.strip())
        return replies

    async def document(
        self, person: Person, name: str, size: int | None, download: Download
    ) -> list[Reply]:
        """A file sent to the bot: an import of ratings. Its size is checked before
        ``download`` fetches it; a bad file gets one line and stores nothing."""
        await self.service.register(person.user_id, person.first_name, person.language)
        if size is not None and size > MAX_FILE_BYTES:
            return [Reply(escape(too_big()))]
        try:
            done = await self.importer.run(person.user_id, name, await download())
        except BadImport as bad:
            return [Reply(escape(str(bad)))]
        return [import_views.imported(done, self.importer.limits())]

    async def text(self, person: Person, text: str) -> list[Reply]:
        """Plain text names a film: its card, ready to rate, when the title clearly names one;
        otherwise the films it may mean (a title search)."""
        await self.service.register(person.user_id, person.first_name, person.language)
        if len(text) > commands.MAX_TEXT:
            return await commands.search(self.service, person, text)
        found = self.service.titles.lookup(text, limit=8)  # as many as /search lists
        if found.sure:
            return [views.card(await self.service.card(person.user_id, found.items[0]))]
        return [commands.found_films(self.service, text, found.items)]

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
                rated = await service.rate(user, item_id, stars)
                saved = f"Saved {stars_text(stars)}"
                if rated.unlisted:  # watched at last: say why it left the watchlist
                    saved += " — watched, so it is off your watchlist"
                return Outcome(edit=await commands.card_reply(service, user), notice=saved)
            case cb.Dismiss(item_id, kind):
                if not await service.dismiss(user, item_id, kind):
                    return Outcome(notice=RATED_ALREADY)
                return Outcome(edit=await commands.card_reply(service, user))
            case cb.Done():
                return Outcome(edit=views.done(await service.rating_count(user)))
            case cb.Undo():
                return Outcome(notice=_plain(await commands.undo_text(service, user)))
            case cb.RecMore(page, key):
                try:
                    chosen = parse_key(key, service.genres)
                except FilterError:
                    return Outcome(notice=EXPIRED)
                return Outcome(send=[await commands.recommend_page(service, user, chosen, page)])
            case cb.OpenFilm(item_id):
                return Outcome(send=[views.card(await service.card(user, item_id))])
            case cb.SimilarTo(item_id):
                return Outcome(send=[await commands.similar_to(service, service.film(item_id))])
            case cb.WatchLater(item_id):
                added = await service.watch_later(user, item_id)
                title = film_label(service.film(item_id))
                return Outcome(notice=f"Saved {title} for later" if added else "Already saved")
            case cb.WatchRemove(item_id, page):
                removed = await service.unwatch(user, item_id)
                title = film_label(service.film(item_id))
                return Outcome(
                    edit=views.watchlist(await service.watchlist(user), page or 0),
                    notice=f"Removed {title} — /undo puts it back" if removed else "Already gone",
                )
            case cb.MyWatchlist(page):
                return Outcome(edit=views.watchlist(await service.watchlist(user), page))
            case cb.NotInterested(item_id):
                await service.not_interested(user, item_id)
                return Outcome(notice="Got it — I won't suggest it again")
            case cb.MyRatings(page):
                return Outcome(edit=views.my_ratings(await service.my_ratings(user, page)))
            case cb.DeleteRating(item_id):
                found = await service.rated_film(user, item_id)
                if found is None:
                    return Outcome(
                        edit=views.my_ratings(await service.my_ratings(user)), notice="Already gone"
                    )
                return Outcome(edit=views.delete_prompt(found))
            case cb.DeleteRatingConfirm(item_id):
                deleted = await service.delete_rating(user, item_id)
                return Outcome(
                    edit=views.my_ratings(await service.my_ratings(user)),
                    notice=(
                        f"Deleted {film_label(service.film(item_id))} — /undo puts it back"
                        if deleted is not None
                        else "Already gone"
                    ),
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


def _plain(html_text: str) -> str:
    """Notices are plain text: drop the tags views put in."""
    return unescape(re.sub(r"<[^>]+>", "", html_text))
