"""How the private chat's answers look: HTML text and button rows, for Telegram and the
console alike (the pieces they share with movie nights are in bot/replies.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from bot import callbacks as cb
from bot.replies import (
    Button,
    Reply,
    escape,
    film_head,
    film_html,
    film_label,
    no_film_known,
    stars_text,
)
from bot.service import (
    PAGE_SIZE,
    PERSONAL_AFTER,
    Card,
    Film,
    RatedFilm,
    RatingsPage,
    RecommendationPage,
)
from recsys.data import Catalog


def imdb_url(film: Film) -> str | None:
    """The film's IMDb page from links.csv's id, else the address ML-100k's u.item gives."""
    if film.imdb_id:
        return f"https://www.imdb.com/title/tt{film.imdb_id:07d}/"
    return film.imdb_url


def tmdb_url(film: Film) -> str | None:
    return f"https://www.themoviedb.org/movie/{film.tmdb_id}" if film.tmdb_id else None


def link_buttons(film: Film) -> list[list[Button]]:
    """A row of URL buttons to the film's pages elsewhere; no row when the catalogue has no
    links (RecBole's copy of ML-100k)."""
    row = [
        Button(label, url=url)
        for label, url in (("IMDb", imdb_url(film)), ("TMDB", tmdb_url(film)))
        if url is not None
    ]
    return [row] if row else []


def progress(rated: int) -> str:
    """One story everywhere: after PERSONAL_AFTER ratings /recommend is the person's own
    (before, it is the popular list), and every rating after sharpens it."""
    if rated == 0:
        return "Rate a few films you have seen and I will learn your taste."
    if rated < PERSONAL_AFTER:
        more = PERSONAL_AFTER - rated
        return f"{rated} rated — {more} more and /recommend picks films for you alone."
    return f"{rated} rated — /recommend is yours; every rating sharpens it."


def welcome(first_name: str) -> Reply:
    name = escape(first_name.strip()[:64]) or "there"
    return Reply(
        f"Hi {name}! I recommend films you will enjoy.\n\n"
        "Rate a few films you have seen with the buttons below — one tap each — and I will "
        "learn your taste. Then /recommend gives you films picked for you.\n"
        "/help lists everything I can do."
    )


TMDB_ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB."


def help_text(commands: list[tuple[str, str]], *, tmdb: bool = False) -> Reply:
    """/help: each listed command (name, what it does) on a line; TMDB's required
    attribution when the posters come from TMDB."""
    lines = ["<b>What I can do</b>"]
    lines += [f"/{name} — {escape(text)}" for name, text in commands]
    lines.append("\nOr just send me a film title to look it up.")
    lines.append(
        "In a group, /movienight finds a film everyone who joins will enjoy (add me to the "
        "group first)."
    )
    if tmdb:
        lines.append(f"\n<i>{escape(TMDB_ATTRIBUTION)}</i>")
    return Reply("\n".join(lines))


def card(c: Card) -> Reply:
    film = c.film
    lines = film_head(film)
    if c.current_stars is not None:
        lines.append(f"You rated it {stars_text(c.current_stars)}")
    lines.append("")
    lines.append(escape(progress(c.rated)))
    buttons = _card_buttons(film.item_id, rated=c.current_stars is not None)
    rows = [list(row) for row in buttons] + link_buttons(film)
    return Reply("\n".join(lines), rows, photo_url=c.poster)


@functools.lru_cache(maxsize=8192)
def _card_buttons(item_id: int, *, rated: bool) -> tuple[tuple[Button, ...], ...]:
    """A film's rating buttons: the same for everyone, and built on every tap otherwise. A
    film the user rated offers new stars only: "Haven't seen" or "Skip" would replace the
    rating with a dismissal (deleting is in /myratings, where it can be undone)."""
    i = item_id
    whole = tuple(Button(f"★{s}", cb.build(cb.Rate(i, float(s)))) for s in range(1, 6))
    halves = tuple(Button(f"{s}½", cb.build(cb.Rate(i, s + 0.5))) for s in range(1, 5))
    done = Button("Done", cb.build(cb.Done()))
    if rated:
        return whole, halves, (done,)
    others = (
        Button("Haven't seen", cb.build(cb.Dismiss(i, "unseen"))),
        Button("Skip", cb.build(cb.Dismiss(i, "skipped"))),
        done,
    )
    return whole, halves, others


def no_more_cards(rated: int) -> Reply:
    return Reply(f"That's every film I know! {escape(progress(rated))}")


def done(rated: int) -> Reply:
    text = f"Thanks! {escape(progress(rated))}"
    return Reply(text, [[Button("Recommend now", cb.build(cb.RecMore(0)))]])


def recommendations(page: RecommendationPage, filter_key: str | None, catalog: Catalog) -> Reply:
    described = page.filter.describe()
    if not page.items:
        if page.none_known:
            return Reply(escape(no_film_known(page.filter, catalog)))
        if page.left_out:
            return Reply(escape(narrow(page.left_out, 0, described)))
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
    start = page.page * PAGE_SIZE
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
    if page.left_out:
        lines += ["", escape(narrow(page.left_out, start + len(page.items), described))]
    if not page.personal:
        lines += [
            "",
            escape(f"Rate at least {PERSONAL_AFTER} films (/rate) and these become yours alone."),
        ]
    if page.has_more:
        buttons.append([Button("More", cb.build(cb.RecMore(page.page + 1, filter_key)))])
    return Reply("\n".join(lines), buttons, photo_url=page.poster)


def narrow(left_out: int, shown: int, described: str) -> str:
    """Why a list is short: the rest of what the filter allows looks like a miss."""
    where = f" in {described}" if described else ""
    fit = f"Only {shown} film{'s' * (shown != 1)}" if shown else "Nothing"
    verb = "looks" if shown <= 1 else "look"
    rest = f"the other {left_out}" if shown else f"all {left_out} I have left"
    widen = "Try a wider filter." if described else "Rate more films and I will find others."
    return f"{fit}{where} {verb} like a good fit: I expect you to rate {rest} low. {widen}"


def film_list(title: str, films: list[Film], empty: str) -> Reply:
    if not films:
        return Reply(escape(empty))
    buttons = [[Button(film_label(f, 60), cb.build(cb.OpenFilm(f.item_id)))] for f in films]
    return Reply(f"<b>{escape(title)}</b>", buttons)


def did_you_mean(films: list[Film], then: Callable[[int], cb.Action]) -> Reply:
    """A title that named no film clearly: its candidates, each a button for ``then``."""
    buttons = [[Button(film_label(f, 60), cb.build(then(f.item_id)))] for f in films]
    return Reply("<b>Did you mean one of these?</b>", buttons)


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
                    f"✎ {film_label(rated.film, 40)}", cb.build(cb.OpenFilm(rated.film.item_id))
                ),
                Button("Delete", cb.build(cb.DeleteRating(rated.film.item_id))),
            ]
        )
    return Reply("\n".join(lines), buttons + _pager(page.page, page.pages, cb.MyRatings))


def delete_prompt(rated: RatedFilm) -> Reply:
    """Asked before a rating is deleted: one tap (or one typed digit in the console) must
    not delete it unasked."""
    film = rated.film
    return Reply(
        f"Delete your rating of {film_html(film)} ({stars_text(rated.stars)})? /undo puts it back.",
        [
            [
                Button("Yes, delete it", cb.build(cb.DeleteRatingConfirm(film.item_id))),
                Button("Keep it", cb.build(cb.MyRatings(0))),
            ]
        ],
    )


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
