"""The private chat's commands: each one a function of the service, the person and the text
after the command, returning replies; and their table, in the order /help lists them."""

from __future__ import annotations

from bot import callbacks as cb
from bot.command import Command, menu
from bot.filters import Filter, FilterError, parse_filter
from bot.imports import views as import_views
from bot.inline.deeplink import is_film_payload, parse_film
from bot.private import views
from bot.private.undo import undone_text
from bot.replies import Person, Reply, escape, film_label, no_film_known
from bot.service import PERSONAL_AFTER, Film, MovieService

MAX_TEXT = 200  # longer messages are not titles


async def start(service: MovieService, person: Person, args: str) -> list[Reply]:
    if is_film_payload(args):  # t.me/<bot>?start=film_<id>, under a card posted inline
        return [await film_card(service, person.user_id, args)]
    card = await card_reply(service, person.user_id)
    if args == "rate":  # deep link t.me/<bot>?start=rate: straight to rating
        return [card]
    return [views.welcome(person.first_name), card]


async def help(service: MovieService, person: Person, args: str) -> list[Reply]:
    posters = service.posters
    return [views.help_text(menu(PRIVATE), tmdb=posters is not None and posters.enabled)]


async def rate(service: MovieService, person: Person, args: str) -> list[Reply]:
    return [await card_reply(service, person.user_id)]


async def recommend(service: MovieService, person: Person, args: str) -> list[Reply]:
    try:
        chosen = parse_filter(args, service.genres)
    except FilterError as exc:
        return [Reply(escape(str(exc)))]
    return [await recommend_page(service, person.user_id, chosen, 0)]


async def search(service: MovieService, person: Person, args: str) -> list[Reply]:
    if not args:
        return [Reply("Send a title after /search, like <code>/search heat 1995</code>.")]
    if len(args) > MAX_TEXT:
        return [Reply("That's too long to be a film title. Try a few words of it.")]
    return [found_films(service, args, service.titles.search(args))]


def found_films(service: MovieService, query: str, items: list[int]) -> Reply:
    """What a title search found: the films to choose from, or that there are none. A year
    or a genre that names no film is taken for the filter it is ("1995", "comedy 1990s")."""
    if not items and (chosen := _as_filter(query, service.genres)) is not None:
        candidates = chosen.candidates(service.catalog)
        if candidates is not None and len(candidates) == 0:
            return Reply(escape(no_film_known(chosen, service.catalog)))
        shown = escape(" ".join(query.split()))
        return Reply(f"“{shown}” names no film I know. Did you mean /recommend {shown}?")
    films = [service.film(i) for i in items]
    return views.film_list("Is it one of these?", films, service.titles.not_found(query))


def _as_filter(text: str, genres: list[str]) -> Filter | None:
    try:
        chosen = parse_filter(text, genres)
    except FilterError:
        return None
    return chosen if chosen.genres or chosen.years else None


async def similar(service: MovieService, person: Person, args: str) -> list[Reply]:
    if not args:
        return [Reply("Name a film after /similar, like <code>/similar alien</code>.")]
    if len(args) > MAX_TEXT:
        return [Reply("That's too long to be a film title. Try a few words of it.")]
    found = service.titles.lookup(args)
    if not found.items:
        return [Reply(escape(service.titles.not_found(args)))]
    if not found.sure:  # never compare against a film the person may not have meant
        return [views.did_you_mean([service.film(i) for i in found.items], cb.SimilarTo)]
    return [await similar_to(service, service.film(found.items[0]))]


async def similar_to(service: MovieService, film: Film) -> Reply:
    """The films like ``film`` (from /similar, or from a "Did you mean…?" button)."""
    alike = await service.similar(film.item_id)
    return views.film_list(
        f"Films like {film_label(film)}",
        alike,
        f"I know too little about {film_label(film)} to compare it.",
    )


async def watchlist(service: MovieService, person: Person, args: str) -> list[Reply]:
    return [views.watchlist(await service.watchlist(person.user_id))]


async def my_ratings(service: MovieService, person: Person, args: str) -> list[Reply]:
    return [views.my_ratings(await service.my_ratings(person.user_id))]


async def taste_map(service: MovieService, person: Person, args: str) -> list[Reply]:
    png = await service.taste_map(person.user_id)
    if png is None:
        return [
            Reply(
                f"Rate at least {PERSONAL_AFTER} films (/rate) and I will draw your map of films."
            )
        ]
    caption = (
        "Films that the same people watch sit together. Yours are coloured by your stars; "
        "the blue stars are what I suggest next."
    )
    return [Reply(caption, photo=png)]


async def undo(service: MovieService, person: Person, args: str) -> list[Reply]:
    return [Reply(await undo_text(service, person.user_id))]


async def import_ratings(service: MovieService, person: Person, args: str) -> list[Reply]:
    return [import_views.how_to()]


async def forget(service: MovieService, person: Person, args: str) -> list[Reply]:
    return [views.forget_prompt()]


async def export(service: MovieService, person: Person, args: str) -> list[Reply]:
    count = await service.rating_count(person.user_id)
    if count == 0:
        return [Reply("You have no ratings to export yet. /rate to start.")]
    content = (await service.export_csv(person.user_id)).encode()
    films = f"{count} film{'s' * (count != 1)}"
    caption = f"Your ratings of {films}, as a CSV file (/import reads it back)."
    return [Reply(caption, document=("my-ratings.csv", content))]


# ---------------------------------------------------------------------- shared with buttons


async def card_reply(service: MovieService, user_id: int) -> Reply:
    """The next film to rate, or word that there is none left."""
    card = await service.next_card(user_id)
    if card is None:
        return views.no_more_cards(await service.rating_count(user_id))
    return views.card(card)


async def film_card(service: MovieService, user_id: int, payload: str) -> Reply:
    """The card of a ``film_<id>`` link; a forged one, or one to a film this catalogue lacks,
    gets a short word instead."""
    item_id = parse_film(payload)
    if item_id is None or not service.rateable(item_id):
        return Reply(BROKEN_FILM_LINK)
    return views.card(await service.card(user_id, item_id))


BROKEN_FILM_LINK = "That film link doesn't lead to a film I know. Send me a title to look one up."


async def recommend_page(service: MovieService, user_id: int, chosen: Filter, page: int) -> Reply:
    result = await service.recommend(user_id, chosen, page)
    key = chosen.key(service.genres) if (chosen.genres or chosen.years) else None
    return views.recommendations(result, key, service.catalog)


async def undo_text(service: MovieService, user_id: int) -> str:
    undone = await service.undo(user_id)
    if undone is None:
        return "Nothing to undo."
    return undone_text(*undone)


def short(text: str, limit: int = 32) -> str:
    """Plain text on one line, cut to ``limit`` characters; escape it where it goes into HTML."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


PRIVATE: tuple[Command, ...] = (
    Command("start", "", "private", start),
    Command("rate", "rate films with buttons", "private", rate),
    Command(
        "recommend", "films for you: /recommend comedy, /recommend 1990s", "private", recommend
    ),
    Command("search", "find a film: /search heat 1995", "private", search),
    Command("similar", "films like one you name: /similar alien", "private", similar),
    Command("watchlist", "films you saved for later", "private", watchlist),
    Command("myratings", "your ratings: change or delete them", "private", my_ratings),
    Command("map", "a map of the films you rated and the ones I suggest", "private", taste_map),
    Command("undo", "take back your last change (a rating, a delete, an import…)", "private", undo),
    Command("export", "your ratings as a CSV file", "private", export),
    Command("import", "bring ratings from Letterboxd, IMDb or a CSV", "private", import_ratings),
    Command("forget", "delete everything I know about you", "private", forget),
    Command("help", "what I can do", "private", help),
)
