"""What the bot says about imports: how to get each export (/import), and what one did."""

from __future__ import annotations

from bot.imports.formats import Row
from bot.imports.importer import Imported
from bot.replies import Reply, escape

EXAMPLES = 5  # films named among those the catalogue lacks


def how_to() -> Reply:
    return Reply(
        "<b>Bring your ratings</b> — send me the file as a document (up to 5 MB):\n\n"
        "<b>Letterboxd</b>: letterboxd.com → Settings → Data → Export your data. Send the zip "
        "as it is, or the ratings.csv inside it.\n"
        "<b>IMDb</b>: imdb.com → Your ratings → ⋮ (three dots) → Export. Send the CSV it "
        "gives you.\n"
        "<b>MovieLens</b> or any CSV with <code>movieId</code> and <code>rating</code> "
        "columns (0.5–5 stars), including the file my /export makes.\n\n"
        "I match each film by its IMDb id where I can, else by title and year. Films you "
        "already rated here keep the stars you gave them here. /undo takes a whole import back."
    )


def imported(done: Imported, limits: str) -> Reply:
    """The summary of an import; ``limits`` says where the catalogue stops."""
    count = len(done.stored)
    lines = [f"Imported {count} rating{_s(count)} from your {escape(done.source)} file."]
    if done.kept:
        lines.append(
            f"{len(done.kept)} film{_s(len(done.kept))} you had rated here already kept your "
            "stars from here (your ratings here win over the file's)."
        )
    if done.missing:
        named = ", ".join(_label(row) for row in done.missing[:EXAMPLES])
        more = "…" if len(done.missing) > EXAMPLES else ""
        lines.append(
            f"{len(done.missing)} film{_s(len(done.missing))} {_are(len(done.missing))} not in "
            "my catalogue"
            f"{escape(limits)}: {named}{more}"
        )
    if done.not_films:
        lines.append(
            f"{done.not_films} TV series, episode{_s(done.not_films)} or game{_s(done.not_films)}"
            " left out: I know films only."
        )
    if done.unreadable:
        lines.append(
            f"{done.unreadable} line{_s(done.unreadable)} had no rating or film I could read."
        )
    if count:
        lines.append("\n/recommend already uses them. /undo takes this whole import back.")
    return Reply("\n".join(lines))


def _label(row: Row) -> str:
    title = escape(row.title) if row.title else f"MovieLens id {row.movie_id}"
    return f"{title} ({row.year})" if row.year else title


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _s(count: int) -> str:
    return "" if count == 1 else "s"
