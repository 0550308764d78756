"""How the bot's answers look: HTML text and button rows, for Telegram and the console alike.

Every piece of text that comes from data (titles, queries, names) goes through ``escape``:
replies use Telegram's HTML parse mode.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from bot import callbacks as cb
from bot.service import (
    SHARPEN_AFTER,
    Card,
    Film,
    RatingsPage,
    RecommendationPage,
)


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None  # callback data, built by bot.callbacks
    url: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str  # HTML
    buttons: list[list[Button]] = field(default_factory=list)
    document: tuple[str, bytes] | None = None  # (file name, content)
    photo: bytes | None = None  # a PNG; ``text`` becomes its caption


def escape(text: str) -> str:
    """Text for HTML parse mode: only &, < and > are special outside attributes."""
    return html.escape(text, quote=False)


MAX_NOTICE = 200  # characters in the answer to a button press (Telegram's limit)


def notice(text: str | None) -> str | None:
    """A button press's answer, cut to Telegram's limit: one with a long title can pass it."""
    if text is None or len(text) <= MAX_NOTICE:
        return text
    return text[: MAX_NOTICE - 1] + "…"


COMMANDS: list[tuple[str, str]] = [
    ("rate", "rate films with buttons"),
    ("recommend", "films for you: /recommend comedy, /recommend 1990s"),
    ("search", "find a film: /search heat 1995"),
    ("similar", "films like one you name: /similar alien"),
    ("watchlist", "films you saved for later"),
    ("myratings", "your ratings: change or delete them"),
    ("map", "a map of the films you rated and the ones I suggest"),
    ("undo", "take back your last answer"),
    ("export", "your ratings as a CSV file"),
    ("forget", "delete everything I know about you"),
    ("help", "what I can do"),
]


def film_label(film: Film) -> str:
    return f"{film.title} ({film.year})" if film.year else film.title


def film_html(film: Film) -> str:
    return f"<b>{escape(film.title)}</b>" + (f" ({film.year})" if film.year else "")


def lookup_url(film: Film) -> str:
    if film.imdb_id:
        return f"https://www.imdb.com/title/tt{film.imdb_id:07d}/"
    return "https://www.imdb.com/find/?q=" + quote_plus(film_label(film))


def stars_text(stars: float) -> str:
    return f"{stars:.1f}".rstrip("0").rstrip(".") + "★"


def progress(rated: int) -> str:
    if rated == 0:
        return "Rate a few films you have seen and I will learn your taste."
    if rated < SHARPEN_AFTER:
        return f"{rated} rated — recommendations sharpen after {SHARPEN_AFTER}."
    return f"{rated} rated — /recommend whenever you like."


def welcome(first_name: str) -> Reply:
    name = escape(first_name.strip()[:64]) or "there"
    return Reply(
        f"Hi {name}! I recommend films you will enjoy.\n\n"
        "Rate a few films you have seen with the buttons below — one tap each — and I will "
        "learn your taste. Then /recommend gives you films picked for you.\n"
        "/help lists everything I can do."
    )


def help_text() -> Reply:
    lines = ["<b>What I can do</b>"]
    lines += [f"/{name} — {escape(text)}" for name, text in COMMANDS]
    lines.append("\nOr just send me a film title to look it up.")
    return Reply("\n".join(lines))


def card(c: Card) -> Reply:
    film = c.film
    lines = [film_html(film)]
    if film.genres:
        lines.append(escape(" · ".join(film.genres)))
    lines.append(f'<a href="{html.escape(lookup_url(film))}">Look it up</a>')
    if c.current_stars is not None:
        lines.append(f"You rated it {stars_text(c.current_stars)}")
    lines.append("")
    lines.append(escape(progress(c.rated)))
    return Reply("\n".join(lines), [list(row) for row in _card_buttons(film.item_id)])


@functools.lru_cache(maxsize=4096)
def _card_buttons(item_id: int) -> tuple[tuple[Button, ...], ...]:
    """A film's rating buttons: the same for everyone, and built on every tap otherwise."""
    i = item_id
    whole = tuple(Button(f"★{s}", cb.build(cb.Rate(i, float(s)))) for s in range(1, 6))
    halves = tuple(Button(f"{s}½", cb.build(cb.Rate(i, s + 0.5))) for s in range(1, 5))
    others = (
        Button("Haven't seen", cb.build(cb.Dismiss(i, "unseen"))),
        Button("Skip", cb.build(cb.Dismiss(i, "skipped"))),
        Button("Done", cb.build(cb.Done())),
    )
    return whole, halves, others


def no_more_cards(rated: int) -> Reply:
    return Reply(f"That's every film I know! {escape(progress(rated))}")


def done(rated: int) -> Reply:
    text = f"Thanks! {escape(progress(rated))}"
    return Reply(text, [[Button("Recommend now", cb.build(cb.RecMore(0)))]])


def recommendations(page: RecommendationPage, filter_key: str | None) -> Reply:
    described = page.filter.describe()
    if not page.items:
        if described:
            return Reply(
                f"I have nothing left to suggest in {escape(described)}. Try another filter."
            )
        return Reply("I have nothing left to suggest — you have seen it all! /rate some more.")
    if page.personal:
        title = "Films for you" + (f" — {escape(described)}" if described else "")
    else:
        title = "Popular, well-liked films" + (f" — {escape(described)}" if described else "")
    lines = [f"<b>{title}</b>" + (f" (page {page.page + 1})" if page.page else ""), ""]
    buttons = []
    start = page.page * 10
    for n, rec in enumerate(page.items, start=start + 1):
        line = f"{n}. {film_html(rec.film)} — {stars_text(rec.stars)}"
        if rec.because:
            line += "\n    <i>because you liked " + escape(" and ".join(rec.because)) + "</i>"
        lines.append(line)
        i = rec.film.item_id
        buttons.append(
            [
                Button(f"{n}. Rate", cb.build(cb.OpenFilm(i))),
                Button("Watch later", cb.build(cb.WatchLater(i))),
                Button("Not interested", cb.build(cb.NotInterested(i))),
            ]
        )
    if not page.personal:
        lines += ["", escape(f"Rate at least {5} films (/rate) and these become yours alone.")]
    if page.has_more:
        buttons.append([Button("More", cb.build(cb.RecMore(page.page + 1, filter_key)))])
    return Reply("\n".join(lines), buttons)


def film_list(title: str, films: list[Film], empty: str) -> Reply:
    if not films:
        return Reply(escape(empty))
    buttons = [[Button(film_label(f)[:60], cb.build(cb.OpenFilm(f.item_id)))] for f in films]
    return Reply(f"<b>{escape(title)}</b>", buttons)


WATCHLIST_PER_PAGE = 10  # a page stays far below Telegram's 4096 characters


def watchlist(films: list[Film], page: int = 0) -> Reply:
    """One page of the watchlist (clamped to the last one), newest first."""
    if not films:
        return Reply(
            "Your watchlist is empty. Tap “Watch later” under a recommendation to save one."
        )
    pages = -(-len(films) // WATCHLIST_PER_PAGE)
    page = max(0, min(page, pages - 1))
    title = "<b>Your watchlist</b>"
    if pages > 1:
        title += f" ({len(films)}, page {page + 1} of {pages})"
    lines = [title, ""]
    buttons = []
    start = page * WATCHLIST_PER_PAGE
    for n, film in enumerate(films[start : start + WATCHLIST_PER_PAGE], start=start + 1):
        lines.append(f"{n}. {film_html(film)}")
        buttons.append(
            [
                Button(f"{n}. Watched it — rate", cb.build(cb.OpenFilm(film.item_id))),
                Button("Remove", cb.build(cb.WatchRemove(film.item_id, page))),
            ]
        )
    return Reply("\n".join(lines), buttons + _pager(page, pages, cb.MyWatchlist))


def my_ratings(page: RatingsPage) -> Reply:
    if page.total == 0:
        return Reply("You have not rated anything yet. /rate to start.")
    lines = [f"<b>Your ratings</b> ({page.total}, page {page.page + 1} of {page.pages})", ""]
    buttons = []
    for rated in page.items:
        lines.append(f"{stars_text(rated.stars)} {film_html(rated.film)}")
        buttons.append(
            [
                Button(
                    f"✎ {film_label(rated.film)[:40]}", cb.build(cb.OpenFilm(rated.film.item_id))
                ),
                Button("Delete", cb.build(cb.DeleteRating(rated.film.item_id))),
            ]
        )
    return Reply("\n".join(lines), buttons + _pager(page.page, page.pages, cb.MyRatings))


def _pager(page: int, pages: int, to: Callable[[int], cb.Action]) -> list[list[Button]]:
    """The Previous / Next row of a paged list (no row when there is one page)."""
    nav = []
    if page > 0:
        nav.append(Button("‹ Previous", cb.build(to(page - 1))))
    if page + 1 < pages:
        nav.append(Button("Next ›", cb.build(to(page + 1))))
    return [nav] if nav else []


def forget_prompt() -> Reply:
    return Reply(
        "This deletes <b>everything</b> I know about you: ratings, watchlist, answers. "
        "It cannot be undone. Sure?",
        [
            [
                Button("Yes, forget me", cb.build(cb.ForgetConfirm())),
                Button("Cancel", cb.build(cb.ForgetCancel())),
            ]
        ],
    )


# -- group movie nights -----------------------------------------------------------------------

GROUP_COMMANDS: list[tuple[str, str]] = [
    ("movienight", "start a movie night: /movienight, /movienight comedy 1990s"),
    ("help", "how movie nights work"),
]
POLL_QUESTION = "Which film tonight?"


def deep_link(bot_username: str) -> str:
    """Opens the private chat with the bot straight on a rating card (/start rate)."""
    return f"https://t.me/{bot_username}?start=rate"


def _names(names: list[str]) -> str:
    shown = [escape(name.strip()[:32]) or "someone" for name in names]
    return ", ".join(shown)


def _night_head(described: str) -> str:
    return "<b>Movie night!</b>" + (f" — {escape(described)}" if described else "")


def night_open(night_id: int, names: list[str], described: str = "") -> Reply:
    """The night's one message while people join; edited on every join and leave."""
    lines = [_night_head(described) + " Who's in?", ""]
    if names:
        lines.append(f"In so far ({len(names)}): {_names(names)}")
        lines.append("When everyone's in, tap Suggest and I'll pick films for the whole group.")
    else:
        lines.append("Nobody yet — tap “I'm in”.")
    buttons = [
        [
            Button("I'm in", cb.build(cb.NightJoin(night_id))),
            Button("I'm out", cb.build(cb.NightLeave(night_id))),
        ],
        [Button("Suggest", cb.build(cb.NightSuggest(night_id)))],
    ]
    return Reply("\n".join(lines), buttons)


def night_voting(names: list[str], described: str = "") -> Reply:
    return Reply(
        f"{_night_head(described)}\nIn: {_names(names)}\n\nMy picks are below — vote in the poll."
    )


def night_closed(names: list[str], film: Film | None) -> Reply:
    picked = film_html(film) if film else "decided"
    return Reply(f"<b>Movie night</b> — tonight: {picked}\nIn: {_names(names)}")


def night_expired() -> Reply:
    return Reply("<b>Movie night</b> — this one ran out of time. /movienight starts a new one.")


def night_running(voting: bool) -> Reply:
    if voting:
        return Reply(
            "There's a movie night vote going on — it's the poll above. "
            "Anyone who's in can tap “Close vote” to pick the film."
        )
    return Reply(
        "There's already a movie night here: tap “I'm in” on the message above, "
        "then Suggest when everyone's in."
    )


def rate_first(first_name: str, bot_username: str) -> Reply:
    """For a member who joined with too few ratings: told once per night, in the group."""
    name = escape(first_name.strip()[:32]) or "You"
    return Reply(
        f"{name}, you're in! I don't know your taste yet, so the picks leave you out until you "
        "rate a few films with me in a private chat — it takes a minute.",
        [[Button("Rate films with me", url=deep_link(bot_username))]],
    )


def nobody_rated(bot_username: str) -> Reply:
    return Reply(
        "Nobody who's in has rated enough films with me yet, so I can't pick for the group. "
        "Rate a few in a private chat, then tap Suggest again.",
        [[Button("Rate films with me", url=deep_link(bot_username))]],
    )


def group_picks(
    picks: list[tuple[Film, float, str]],
    counted: list[str],
    left_out: list[str],
    described: str,
    threshold: float | None,
) -> Reply:
    """The films put to the vote: (film, group's predicted stars, whom it suits best)."""
    head = "<b>Picks for tonight</b>" + (f" — {escape(described)}" if described else "")
    lines = [f"{head}\nFor {_names(counted)}", ""]
    for n, (film, score, best_for) in enumerate(picks, start=1):
        lines.append(f"{n}. {film_html(film)} — {stars_text(score)} for the group")
        lines.append(f"    <i>suits {_names([best_for])} best</i>")
    lines.append("")
    if threshold is None:
        lines.append("Your tastes differ a lot: some of these may not be for everyone.")
    elif threshold < 3.0:
        lines.append(
            f"Your tastes differ: I had to allow films someone may rate about "
            f"{stars_text(threshold)}."
        )
    if left_out:
        lines.append(f"Not counted yet (too few ratings with me): {_names(left_out)}.")
    lines.append("Vote in the poll below.")
    return Reply("\n".join(lines))


def poll_option(film: Film) -> str:
    """A poll option: plain text, at most 100 characters."""
    label = film_label(film)
    return label if len(label) <= 100 else label[:99] + "…"


def close_vote_buttons(night_id: int) -> list[list[Button]]:
    # A "next step" of the night, from the poll's message: see bot.group for why the same
    # action as Suggest.
    return [[Button("Close vote", cb.build(cb.NightSuggest(night_id)))]]


def night_pick(film: Film, votes: int, total: int, tie: bool) -> Reply:
    if total == 0:
        return Reply(f"Nobody voted, so I'm going with the group's top pick: {film_html(film)}.")
    text = f"🎬 Tonight's film: {film_html(film)} — {votes} of {total} vote{'s' * (total != 1)}."
    if tie:
        text += "\nIt was a tie; the group's predicted stars broke it."
    return Reply(text + "\nEnjoy the film!")


def group_help(bot_username: str) -> Reply:
    lines = [
        "<b>Movie nights</b>",
        "/movienight — start one; add a genre or years: /movienight comedy, /movienight 1990s",
        "",
        "Everyone who wants to watch taps “I'm in”; then Suggest picks five films for the "
        "whole group (nothing anyone has already rated), and you vote in a poll.",
        "",
        "I learn your taste in a private chat with me: rate a few films there first.",
    ]
    return Reply("\n".join(lines), [[Button("Rate films with me", url=deep_link(bot_username))]])


def group_unknown(name: str, bot_username: str) -> Reply:
    """An unknown /command addressed to the bot in a group."""
    short = escape(name[:32])
    private = {command for command, _ in COMMANDS}
    text = (
        f"/{short} works in a private chat with me; in groups I know /movienight and /help."
        if name.lower() in private
        else f"I don't know /{short}. In groups I know /movienight and /help."
    )
    return Reply(text, [[Button("Open a private chat", url=deep_link(bot_username))]])
