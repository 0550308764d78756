"""``python -m bot``: run the bot (long polling, or a webhook when WEBHOOK_URL is set).

Without a token it explains how to get one and starts the console chat instead;
``python -m bot --console`` starts the console on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import logging
import sys
from urllib.parse import urlsplit

from telegram.error import BadRequest, NetworkError

from bot.config import ConfigError, Settings, load_settings

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
    _logging(settings)
    from bot.runtime import StartupError
    from recsys.data import DataFormatError, FetchError

    try:
        if args.console or settings.telegram_bot_token is None:
            if not args.console:
                print(NO_TOKEN, file=sys.stderr)
            from bot.console import run_console

            asyncio.run(run_console(settings))
            return 0
        run_telegram(settings)
    except (StartupError, FetchError, DataFormatError) as exc:
        # The catalogue or the model cannot serve: one line naming the problem and the fix.
        print(f"moviebot: {exc}", file=sys.stderr)
        return 2
    return 0


def run_telegram(settings: Settings) -> None:
    from bot.app import build_application

    # aiosqlite runs statements on its own thread, which then waits for the GIL while the
    # event loop computes; with Python's default 5 ms switch interval a rating tap's trips to
    # that thread waited longer than they ran (bench/load.py: 190 -> 237 updates/s; with
    # one-trip transactions, 1 ms still measured 2.61 ms of CPU an update against 2.33).
    sys.setswitchinterval(GIL_SWITCH_S)
    application = build_application(settings)
    if settings.webhook_url:
        application.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=webhook_secret(settings),
            allowed_updates=["message", "callback_query", "poll"],
        )
    else:
        application.run_polling(allowed_updates=["message", "callback_query", "poll"])


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram sends with every webhook call, so forged POSTs are refused.

    Derived from the token: stable across restarts, nothing more to configure or leak.
    """
    assert settings.telegram_bot_token is not None
    token = settings.telegram_bot_token.get_secret_value().encode()
    return hashlib.sha256(b"moviebot-webhook:" + token).hexdigest()


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram.ext.Updater").addFilter(_one_line_for_network_errors)


def _one_line_for_network_errors(record: logging.LogRecord) -> bool:
    """PTB logs a traceback for every failed getUpdates; Telegram being unreachable for a
    moment is no bug, so it becomes one warning line (PTB backs off and polls again)."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        record.msg = f"{record.getMessage()} ({error.message}); polling again shortly"
        record.args = ()
        record.exc_info = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


if __name__ == "__main__":
    raise SystemExit(main())
