"""The inline query handler: ``@<bot> <words>`` typed in any chat."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import telegram_raw
from bot.inline import views
from bot.inline.offers import offers
from bot.runtime import RESOURCES_KEY, Resources


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Film cards for the words typed after the bot's name (none: the asker's top picks)."""
    query = update.inline_query
    assert query is not None
    resources: Resources = context.bot_data[RESOURCES_KEY]
    found = await offers(resources.service, query.from_user.id, query.query)
    params = views.answer(query.id, found, context.bot.username)
    await telegram_raw.post(context.bot, "answerInlineQuery", params)
