"""The one error handler: log the traceback, then tell the user something short and true."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden
from telegram.ext import ContextTypes

from bot.runtime import RESOURCES_KEY

log = logging.getLogger(__name__)
SORRY = "Sorry — something went wrong on my side and nothing was changed. Please try again."


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs every uncaught handler error; a user who blocked the bot is only marked blocked."""
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    user = update.effective_user if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("user %s blocked the bot; not writing to them", user.id if user else "?")
        resources = context.bot_data.get(RESOURCES_KEY)
        if resources is not None and user is not None:
            await resources.service.mark_blocked(user.id)
        return
    log.error("error while handling an update", exc_info=error)
    if isinstance(update, Update) and update.callback_query is not None:
        try:
            await update.callback_query.answer(SORRY[:190], show_alert=True)
        except Exception:  # already answered, or the query expired: the message below will do
            log.debug("could not answer the callback query", exc_info=True)
    if chat is not None:
        try:
            await context.bot.send_message(chat.id, SORRY)
        except Exception:
            log.warning("could not tell chat %s about the error", chat.id, exc_info=True)
