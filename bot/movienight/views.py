"""How movie nights look in a group: the night's message, the picks, the poll, the pick."""

from __future__ import annotations

from collections.abc import Collection

from bot import callbacks as cb
from bot.movienight.maths import MISERY_STARS
from bot.replies import Button, Reply, deep_link, escape, film_html, film_label, stars_text
from bot.service import Film

POLL_QUESTION = "Which film tonight?"
# Characters of names in one list: the picks hold two lists and five films, and must stay
# within Telegram's 4,096 characters however many people are in.
NAMES_BUDGET = 1200


def _names(names: list[str], budget: int = NAMES_BUDGET) -> str:
    """The names, as many as fit in ``budget`` characters, then how many more: a night of 500
    members must still fit in one Telegram message (4,096 characters)."""
    shown: list[str] = []
    used = 0
    for name in names:
        html = escape(name.strip()[:32]) or "someone"
        if shown and used + len(html) + 2 > budget:
            return ", ".join(shown) + f" and {len(names) - len(shown)} more"
        shown.append(html)
        used += len(html) + 2
    return ", ".join(shown)


def _night_head(described: str) -> str:
    """The night's heading: "Movie night!", or "Movie night — comedy from the 1990s!"."""
    return f"<b>Movie night — {escape(described)}!</b>" if described else "<b>Movie night!</b>"


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


def rate_first(first_names: list[str], bot_username: str) -> Reply:
    """For the members who joined with too few ratings: one message a night, in the group,
    edited as more of them join."""
    return Reply(
        f"{_names(first_names)}, you're in! I don't know your taste yet, so the picks leave you "
        "out until you rate a few films with me in a private chat — it takes a minute.",
        [[Button("Rate films with me", url=deep_link(bot_username))]],
    )


def filter_too_narrow(described: str, matching: int) -> Reply:
    return Reply(
        f"Only {matching} of my films are {escape(described)}: too few for a movie night (the "
        "picks would give away what people here have seen). Try a wider one, such as a decade."
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
    """The films put to the vote: (film, group's predicted stars, whom it suits best; not
    shown)."""
    head = "<b>Picks for tonight</b>" + (f" — {escape(described)}" if described else "")
    lines = [f"{head}\nFor {_names(counted)}", ""]
    for n, (film, score, _) in enumerate(picks, start=1):
        # Not whom it suits best: that would tell the group what one member likes.
        lines.append(f"{n}. {film_html(film)} — {stars_text(score)} for the group")
    lines.append("")
    if threshold is None:
        lines.append("Your tastes differ a lot: some of these may not be for everyone.")
    elif threshold < MISERY_STARS:
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
    return film_label(film, 100)


def close_vote_buttons(night_id: int) -> list[list[Button]]:
    # A "next step" of the night, from the poll's message: bot/movienight/flow.py says why it
    # is the same action as Suggest.
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


def group_unknown(name: str, bot_username: str, private: Collection[str]) -> Reply:
    """An unknown /command addressed to the bot in a group (``private``: the names of the
    private chat's commands)."""
    short = escape(name[:32])
    text = (
        f"/{short} works in a private chat with me; in groups I know /movienight and /help."
        if name.lower() in private
        else f"I don't know /{short}. In groups I know /movienight and /help."
    )
    return Reply(text, [[Button("Open a private chat", url=deep_link(bot_username))]])
