"""How the bot logs: one line for each failure it expects, and never the token.

The token ends up in text the bot does not write itself: PTB's "The token `…` was rejected by
the server" when ``getMe`` answers 401 or 404, URLs in a library's error, a traceback. Instead
of hunting every such place, every log line is redacted on its way out (``Redacting``), and so
is the traceback of anything that escapes ``main`` (``redact``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram.error import BadRequest, InvalidToken, NetworkError

from bot.transport import Rejected

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "<token>"


def secrets_of(token: str | None) -> tuple[str, ...]:
    """What must never be shown of a token: the whole of it and its secret half (a URL or an
    error may quote either); longest first, so the whole is replaced before its part."""
    if not token:
        return ()
    secret = token.split(":", 1)[-1]
    return tuple(sorted({token, secret}, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, HIDDEN)
    return text


class Redacting(logging.Formatter):
    """A formatter whose output, message and traceback alike, never contains the secrets."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self._secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


def configure(level: str, token: str | None) -> None:
    """Log to stderr at ``level``; every handler redacts the token."""
    logging.basicConfig(level=level, format=FORMAT)
    formatter = Redacting(secrets_of(token))
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("telegram.ext.Updater").addFilter(one_line_for_network_errors)
    # A rejected token is reported once by the bot itself (bot.__main__, bot.app); PTB's
    # "Invalid token. Aborting retry loop." traceback would only repeat it.
    logging.getLogger("telegram.ext").addFilter(no_invalid_token_tracebacks)


def one_line_for_network_errors(record: logging.LogRecord) -> bool:
    """PTB logs a traceback for every failed getUpdates; Telegram being unreachable for a
    moment is no bug, so it becomes one warning line (PTB backs off and polls again)."""
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, Rejected):
        return False  # the bot said why once, and is stopping
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        record.msg = f"{record.getMessage()} ({error.message}); polling again shortly"
        record.args = ()
        record.exc_info = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


def no_invalid_token_tracebacks(record: logging.LogRecord) -> bool:
    error = record.exc_info[1] if record.exc_info else None
    return not isinstance(error, InvalidToken)
