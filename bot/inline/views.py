"""How inline answers look: Bot API ``InlineQueryResultArticle`` objects, written as JSON
(they go out through the raw call of bot/telegram_raw.py, like the bot's text messages)."""

from __future__ import annotations

from typing import Any

from bot.inline.deeplink import film_link
from bot.inline.offers import Offer, Offers
from bot.private.views import link_buttons
from bot.replies import Button, Reply, escape, film_head, film_label, stars_text
from bot.telegram_io import keyboard

PERSONAL_CACHE_S = 10  # the asker's stars change with every rating
SHARED_CACHE_S = 300  # titles and genres change only with the catalogue
RATE_FIRST = "Rate a few films to see your own stars"
_NO_PREVIEW = {"is_disabled": True}


def posted_card(offer: Offer, bot_username: str) -> Reply:
    """The message the asker posts: the film, and a button that opens the bot on it."""
    film = offer.film
    lines = film_head(film)
    if offer.stars is not None:
        lines.append(f"@{escape(bot_username)} thinks I'd give it {stars_text(offer.stars)}")
    open_bot = [Button("Rate it", url=film_link(bot_username, film.item_id))]
    return Reply("\n".join(lines), [open_bot, *link_buttons(film)])


def article(offer: Offer, bot_username: str) -> dict[str, Any]:
    film = offer.film
    card = posted_card(offer, bot_username)
    description = " · ".join(film.genres)
    if offer.stars is not None:
        description += f" — {stars_text(offer.stars)} for you"
    result = {
        "type": "article",
        "id": f"f{film.item_id}",
        "title": film_label(film),
        "description": description,
        "input_message_content": {
            "message_text": card.text,
            "parse_mode": "HTML",
            "link_preview_options": _NO_PREVIEW,
        },
        "reply_markup": keyboard(card),
    }
    if offer.thumbnail is not None:
        result["thumbnail_url"] = offer.thumbnail
    return result


def answer(query_id: str, found: Offers, bot_username: str) -> dict[str, Any]:
    """``answerInlineQuery``'s parameters. A personal answer is cached briefly and for the
    asker alone; one that does not know the asker offers a way to start rating."""
    params: dict[str, Any] = {
        "inline_query_id": query_id,
        "results": [article(offer, bot_username) for offer in found.items],
        "cache_time": PERSONAL_CACHE_S if found.personal else SHARED_CACHE_S,
        "is_personal": found.personal,
    }
    if all(offer.stars is None for offer in found.items):
        params["button"] = {"text": RATE_FIRST, "start_parameter": "rate"}
    return params
