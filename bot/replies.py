"""What every conversation answers with: a :class:`Reply` of HTML text and :class:`Button`
rows, for a :class:`Person`; and the small pieces of HTML that both the private chat's and the
movie night's views are made of.

No Telegram types: bot/telegram_io.py sends replies through PTB, bot/console.py prints them.
Every piece of text that comes from data (titles, queries, names) goes through ``escape``:
replies use Telegram's HTML parse mode.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from bot.filters import Filter
from bot.service.types import Film
from recsys.data import Catalog

EXPIRED = "This button has expired."
MAX_NOTICE = 200  # characters in the answer to a button press (Telegram's limit)


@dataclass(frozen=True)
class Person:
    user_id: int
    first_name: str = ""
    language: str | None = None


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
    photo_url: str | None = None  # a poster: the message is a photo with ``text`` as caption


def escape(text: str) -> str:
    """Text for HTML parse mode: only &, < and > are special outside attributes."""
    return html.escape(text, quote=False)


def notice(text: str | None) -> str | None:
    """A button press's answer, cut to Telegram's limit: one with a long title can pass it."""
    if text is None or len(text) <= MAX_NOTICE:
        return text
    return text[: MAX_NOTICE - 1] + "…"


def film_label(film: Film, limit: int | None = None) -> str:
    """ "Title (year)", in at most ``limit`` characters: a long title is cut at a word and
    the year kept ("Double Life of…(1991)"), never cut mid-year."""
    year = f" ({film.year})" if film.year else ""
    if limit is None or len(film.title) + len(year) <= limit:
        return film.title + year
    room = max(limit - len(year) - 1, 1)  # the "…" takes one
    cut = film.title[:room]
    if " " in cut.strip() and not film.title[room : room + 1].isspace():
        cut = cut.rsplit(" ", 1)[0]  # the word that does not fit goes whole
    if cut.count("(") > cut.count(")"):
        cut = cut[: cut.rindex("(")]  # no half of an alternative title: "(Podwójne zycie…"
    return cut.rstrip(" ,:;-(") + "…" + year


def film_html(film: Film) -> str:
    return f"<b>{escape(film.title)}</b>" + (f" ({film.year})" if film.year else "")


def film_head(film: Film) -> list[str]:
    """A film card's first lines, HTML: the title with its year, then its genres."""
    lines = [film_html(film)]
    if film.genres:
        lines.append(escape(" · ".join(film.genres)))
    return lines


def stars_text(stars: float) -> str:
    return f"{stars:.1f}".rstrip("0").rstrip(".") + "★"


def deep_link(bot_username: str) -> str:
    """Opens the private chat with the bot straight on a rating card (/start rate)."""
    return f"https://t.me/{bot_username}?start=rate"


def no_film_known(chosen: Filter, catalog: Catalog) -> str:
    """Why a filter finds nothing at all, even among films the user has seen."""
    described = chosen.describe()
    last = catalog.last_year
    if chosen.years is not None and last is not None and chosen.years[0] > last:
        name = catalog.name or "my catalogue"
        return (
            f"No film of mine matches “{described}”: my films come from {name}, which stops "
            f"in {last}."
        )
    return f"No film of mine matches “{described}”. Try another filter."
