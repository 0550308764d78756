"""build_application(): every handler, job and error handler of the bot in one place."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    PollAnswerHandler,
    PollHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import callbacks as cb
from bot.commands import in_scope, menu_of
from bot.config import Settings
from bot.edits import EDITS_KEY, Edits
from bot.handlers import admin, errors, group, private
from bot.inbox import Inbox
from bot.inline.handler import inline_query
from bot.polling import on_polled
from bot.runtime import RESOURCES_KEY, close_resources, open_resources
from bot.transport import AiohttpRequest

log = logging.getLogger(__name__)
# PTB's Application is generic in six types; the bot uses the defaults throughout.
App = Application[Any, Any, Any, Any, Any, Any]
REJECTED_KEY = "token_rejected"  # bot_data: Telegram refused the token while polling
SHUTDOWN_EDITS_S = 3.0  # how long a stopping bot waits to finish a group's edits
TRANSPORTS_KEY = "transports"  # bot_data: the HTTP transports, to close if start-up fails


def build_application(settings: Settings, request: BaseRequest | None = None) -> App:
    """The bot, wired; resources open in post_init and close in post_shutdown.

    ``request`` replaces the aiohttp transport (tests pass an offline one).
    """
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    inbox = Inbox(settings.concurrent_updates)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .update_queue(inbox.queue)
        .concurrent_updates(inbox.processor)
        .rate_limiter(
            AIORateLimiter(overall_max_rate=settings.max_messages_per_second, max_retries=3)
        )
        .post_init(_post_init(settings, inbox))
        .post_shutdown(_post_shutdown(inbox))
    )
    polling = None
    if request is None:
        polling = AiohttpRequest(1, on_payload=on_polled(inbox))
        builder = builder.request(AiohttpRequest()).get_updates_request(polling)
    else:
        builder = builder.request(request).get_updates_request(request)
    if settings.telegram_api_base_url:
        builder = builder.base_url(settings.telegram_api_base_url)
        builder = builder.base_file_url(file_url(settings.telegram_api_base_url))
    application = builder.build()
    application.bot_data[EDITS_KEY] = Edits()
    if polling is not None:
        polling.on_rejected = _stop_when_rejected(application)
        application.bot_data[TRANSPORTS_KEY] = (application.bot.request, polling)

    # Only new messages are requests: an edited "/retrain" must not start a run, nor a
    # business message that an admin's account relays. Polling asks for these kinds alone
    # (ALLOWED_UPDATES), and no handler takes another kind either.
    new_message = filters.UpdateType.MESSAGE

    # Groups first: movie nights (commands, their buttons, the bot's own polls).
    application.add_handler(
        MessageHandler(new_message & filters.ChatType.GROUPS & filters.COMMAND, group.command)
    )
    night_buttons = cb.pattern(cb.NightJoin, cb.NightLeave, cb.NightSuggest, cb.NightVote)
    application.add_handler(CallbackQueryHandler(group.button, pattern=night_buttons))
    application.add_handler(PollHandler(group.poll))
    application.add_handler(PollAnswerHandler(group.poll_answer))

    private_chat = new_message & filters.ChatType.PRIVATE
    for command in in_scope("admin"):
        application.add_handler(CommandHandler(command.name, command.handler, filters=private_chat))
    application.add_handler(MessageHandler(private_chat & filters.COMMAND, private.command))
    application.add_handler(
        MessageHandler(private_chat & filters.TEXT & ~filters.COMMAND, private.text)
    )
    application.add_handler(MessageHandler(private_chat & filters.Document.ALL, private.document))
    application.add_handler(
        MessageHandler(
            private_chat & ~filters.TEXT & ~filters.StatusUpdate.ALL, private.unsupported
        )
    )
    application.add_handler(CallbackQueryHandler(private.button))
    application.add_handler(InlineQueryHandler(inline_query))  # @<bot> heat, in any chat
    application.add_error_handler(errors.on_error)
    return application


def file_url(base_url: str) -> str:
    """Where a Bot API server at ``base_url`` serves files: Telegram's layout puts
    ``/file/bot<token>/<path>`` beside ``/bot<token>/<method>``."""
    head, found, tail = base_url.rpartition("/bot")
    return f"{head}/file/bot{tail}" if found else base_url


async def close_transports(application: App) -> None:
    """Close the HTTP transports; PTB does not when its start-up failed (a rejected token)."""
    for transport in application.bot_data.get(TRANSPORTS_KEY, ()):
        await transport.shutdown()


def _stop_when_rejected(application: App) -> Callable[[int], None]:
    """The polling transport's ``on_rejected``: Telegram answered getUpdates with 401 or 404,
    so the token was revoked or the Bot API URL is wrong. Polling cannot recover by itself
    (PTB would stop polling and leave a process that answers no one): say so once and stop,
    so that ``python -m bot`` exits with EXIT_REJECTED and a supervisor can restart it."""

    def rejected(status: int) -> None:
        if application.bot_data.get(REJECTED_KEY):
            return
        application.bot_data[REJECTED_KEY] = status
        log.error(
            "Telegram answered getUpdates with %d (token revoked, or a wrong "
            "TELEGRAM_API_BASE_URL): stopping; fix the setting and start the bot again",
            status,
        )
        application.stop_running()

    return rejected


def _post_init(settings: Settings, inbox: Inbox) -> Callable[[App], Coroutine[Any, Any, None]]:
    async def post_init(application: App) -> None:
        resources = await open_resources(settings)
        application.bot_data[RESOURCES_KEY] = resources
        inbox.processor.poll_chats = resources.group.poll_chats  # votes in their group's lane
        replayed = await inbox.attach(resources.storage, application.bot)
        if replayed:
            log.warning("%d update(s) taken before a crash were not handled: handling them now",
                        replayed)  # fmt: skip
        await application.bot.set_my_commands(
            [BotCommand(name, text) for name, text in menu_of("private")],
            scope=BotCommandScopeAllPrivateChats(),
        )
        await application.bot.set_my_commands(
            [BotCommand(name, text) for name, text in menu_of("group")],
            scope=BotCommandScopeAllGroupChats(),
        )
        if application.job_queue is not None:
            application.job_queue.run_daily(
                admin.nightly,
                time=settings.retrain_at,
                name="nightly-retraining",
                # A pause or a clock jump over RETRAIN_TIME runs the night's job late, once,
                # instead of skipping it (APScheduler's default grace is one second).
                job_kwargs={"misfire_grace_time": None, "coalesce": True},
            )
        # What is loaded by now (libraries, model, catalogue: ~290,000 objects) lives as long
        # as the process, yet every full collection walked it: 160 ms with the chat stalled,
        # about once a minute under bench/load.py. Frozen, collections skip it.
        gc.freeze()
        log.info("moviebot is up as @%s", application.bot.username)

    return post_init


def _post_shutdown(inbox: Inbox) -> Callable[[App], Coroutine[Any, Any, None]]:
    async def post_shutdown(application: App) -> None:
        with contextlib.suppress(TimeoutError):  # a group's edits are not worth a hang
            async with asyncio.timeout(SHUTDOWN_EDITS_S):
                await application.bot_data[EDITS_KEY].flush()
        inbox.detach()
        resources = application.bot_data.pop(RESOURCES_KEY, None)
        if resources is not None:
            await close_resources(resources)

    return post_shutdown
