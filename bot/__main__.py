"""``python -m bot``: run the bot (long polling, or a webhook when WEBHOOK_URL is set).

Without a token it explains how to get one and starts the console chat instead;
``python -m bot --console`` starts the console on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError

from bot import logs
from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.app import App

GIL_SWITCH_S = 0.0002
NO_TOKEN = """\
No TELEGRAM_BOT_TOKEN is set, so here is the bot in your terminal instead.
To run it in Telegram: talk to @BotFather, send /newbot, and put the token it gives you in
.env as TELEGRAM_BOT_TOKEN=... (see .env.example), then run `make run` again.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("--console", action="store_true", help="chat in the terminal")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"moviebot: {exc}", file=sys.stderr)
        return 2
    token = settings.telegram_bot_token
    logs.configure(settings.log_level, token.get_secret_value() if token else None)
    from bot.runtime import StartupError
    from recsys.data import DataFormatError, FetchError

    try:
        if args.console or settings.telegram_bot_token is None:
            if not args.console:
                print(NO_TOKEN, file=sys.stderr)
            from bot.console import run_console

            try:
                asyncio.run(run_console(settings))
            except KeyboardInterrupt:  # Ctrl-C: the console has closed up and said bye
                return EXIT_INTERRUPTED
            _leave_at_once_on_ctrl_c()
            return 0
        return run_telegram(settings)
    except (StartupError, FetchError, DataFormatError) as exc:
        # The catalogue or the model cannot serve: one line naming the problem and the fix.
        print(f"moviebot: {exc}", file=sys.stderr)
        return 2


EXIT_INTERRUPTED = 130  # Ctrl-C in the console, as shells report it (128 + SIGINT)
EXIT_REJECTED = 3  # Telegram refused the token: a supervisor may restart, a person must look


def _leave_at_once_on_ctrl_c() -> None:
    """The console closed by Ctrl-D and said bye: only the interpreter's exit is left, and a
    Ctrl-C landing in its exit handlers printed a traceback and exited with 0. Now it leaves
    at once with Ctrl-C's status; everything is saved and written out by then. An ignored
    SIGINT (a background job) stays ignored."""
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(EXIT_INTERRUPTED))


def run_telegram(settings: Settings) -> int:
    """Run until stopped (0), or until Telegram rejects the token (``EXIT_REJECTED``)."""
    from bot.app import REJECTED_KEY, build_application

    # SQLite runs statements on threads of their own (bot/storage/thread.py), which then wait
    # for the GIL while the event loop computes; with Python's default 5 ms switch interval a
    # rating tap's trips to that thread waited longer than they ran (bench/load.py: 190 -> 237
    # updates/s; with one-trip transactions, 1 ms still measured 2.61 ms of CPU an update
    # against 2.33).
    sys.setswitchinterval(GIL_SWITCH_S)
    application = build_application(settings)
    try:
        _run(application, settings)
    except InvalidToken:
        if application.bot_data.get(REJECTED_KEY):
            return EXIT_REJECTED  # while polling: bot.app said so already
        logging.getLogger("bot").error(
            "Telegram rejected the bot token at start-up: check TELEGRAM_BOT_TOKEN (from "
            "@BotFather) and TELEGRAM_API_BASE_URL (unset for Telegram itself), then start again"
        )
        return EXIT_REJECTED
    except NetworkError as error:
        # Telegram answered getMe, then went away before polling began (setMyCommands):
        # a supervisor restarts the bot, which then waits for Telegram again.
        logging.getLogger("bot").error(
            "lost Telegram while starting (%s); start the bot again", error.message
        )
        return 1
    return EXIT_REJECTED if application.bot_data.get(REJECTED_KEY) else 0


def _run(application: App, settings: Settings) -> None:
    """Run the bot in this thread's event loop, closing its transports however it ends."""
    from bot.app import close_transports
    from bot.polling import ALLOWED_UPDATES
    from bot.reach import wait_for_telegram

    # One loop for the wait and for PTB: the bot's HTTP sessions belong to the loop they
    # opened in.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        if loop.run_until_complete(wait_for_telegram(application.bot)):
            _serve(application, settings, ALLOWED_UPDATES)
    finally:
        loop.run_until_complete(close_transports(application))
        loop.close()


def _serve(
    application: App,
    settings: Settings,
    allowed: tuple[str, ...],
) -> None:
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings),
            allowed_updates=list(allowed),
            close_loop=False,
        )
    else:
        application.run_polling(allowed_updates=list(allowed), close_loop=False)


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook call, so forged POSTs are refused.

    Derived from the token: stable across restarts, nothing more to configure or leak.
    """
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value().encode()
    return hashlib.sha256(b"moviebot-webhook:" + token).hexdigest()


if __name__ == "__main__":
    raise SystemExit(main())
