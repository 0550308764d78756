"""What /undo says it took back: the change, by name, and where each film now stands."""

from __future__ import annotations

from bot.replies import escape, film_html, stars_text
from bot.service import Film
from bot.storage import Change, Restored

EXAMPLES = 3  # films named when an import put several back

_DISMISSALS = {
    "unseen": "“haven't seen”",
    "not_interested": "“not interested”",
    "skipped": "“skip”",
}
_DISMISSED = {**_DISMISSALS, "skipped": "skipped"}  # a film's state, after "it is back to"


def undone_text(change: Change, films: dict[int, Film]) -> str:
    """One sentence (HTML) saying which change was taken back and what it restored."""
    first = change.first
    name = film_html(films[first.item_id]) if first.item_id in films else "that film"
    match change.kind:
        case "rated":
            return f"Took back your rating of {name}: {_now(first)}."
        case "unseen" | "not_interested" | "skipped":
            return f"Took back {_DISMISSALS[change.kind]} for {name}: {_now(first)}."
        case "deleted":
            stars = stars_text(first.stars) if first.stars is not None else "its stars"
            return f"Put back your rating of {name}: {stars}."
        case "listed":
            return f"Took back “watch later”: {name} is off your watchlist again."
        case "unlisted":
            return f"Put {name} back on your watchlist."
        case "imported":
            pass
    return _import_text(change, films)  # "imported"


def _now(film: Restored) -> str:
    """Where an answered film stands again after its answer was taken back."""
    if film.stars is not None:
        where = f"it is back to {stars_text(film.stars)}"
    elif film.dismissal is not None:
        where = f"it is back to {_DISMISSED[film.dismissal]}"
    else:
        where = "it is unrated again"
    if film.listed:
        where += ", and back on your watchlist"
    return where


def _import_text(change: Change, films: dict[int, Film]) -> str:
    count = len(change.films)
    text = f"Took back your import: its {count} rating{' is' if count == 1 else 's are'} gone"
    back = [f for f in change.films if f.dismissal is not None or f.listed]
    if back:
        named = [film_html(films[f.item_id]) for f in back[:EXAMPLES] if f.item_id in films]
        more = f" and {len(back) - len(named)} more" if len(back) > len(named) else ""
        text += (
            f"; {len(back)} film{'s are' if len(back) != 1 else ' is'} back as before "
            f"(on your watchlist or dismissed): {escape(', ').join(named)}{more}"
        )
    return text + "."
