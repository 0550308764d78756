"""The one error handler: log what went wrong in one clear line (a traceback for bugs only),
then tell the user something short and true."""

from __future__ import annotations

import logging
import sqlite3

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError
from telegram.ext import ContextTypes

from bot.runtime import RESOURCES_KEY
from bot.transport import Rejected

log = logging.getLogger(__name__)
SORRY = "Sorry — something went wrong on my side. Please try again."
NOT_SAVED = (
    "Sorry — I couldn't save that just now, so nothing changed. Please try again in a minute."
)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every uncaught handler error ends here.

    A user who blocked the bot is marked blocked. A database that refuses writes (locked,
    full, read-only) rolled the write back: the user is told so. Telegram out of reach is
    logged, not answered (the answer would go the same way). Anything else is a bug.
    """
    error = context.error
    user = update.effective_user if isinstance(update, Update) else None
    if isinstance(error, Forbidden):
        log.info("user %s blocked the bot; not writing to them", user.id if user else "?")
        resources = context.bot_data.get(RESOURCES_KEY)
        if resources is not None and user is not None:
            await resources.service.mark_blocked(user.id)
        return
    if isinstance(error, sqlite3.Error):
        log.error("the database refused a write, nothing was saved: %s", error)
        await _tell(update, context, NOT_SAVED)
        return
    if isinstance(error, BadRequest) and "query is too old" in error.message.lower():
        log.info("a button press expired before it was answered")
        return
    if isinstance(error, Rejected):
        return  # the token was refused: bot.app said so once and is stopping the bot
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("Telegram did not answer while handling an update: %s", error.message)
        return
    log.error("error while handling an update", exc_info=error)
    await _tell(update, context, SORRY)


async def _tell(update: object, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    if not isinstance(update, Update):
        return
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text[:200], show_alert=True)
            return
        except Exception:  # already answered, or the query expired: a message will do
            log.debug("could not answer the callback query", exc_info=True)
    chat = update.effective_chat
    if chat is not None:
        try:
            await context.bot.send_message(chat.id, text)
        except Exception:
            log.warning("could not tell chat %s about the error", chat.id, exc_info=True)
