"""The log never shows the token, whoever wrote the line: a message, its arguments or a
traceback's text."""

from __future__ import annotations

import io
import logging

from telegram.error import InvalidToken

from bot.logs import HIDDEN, Redacting, secrets_of

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"


def test_the_token_and_its_secret_half_are_hidden_everywhere_in_a_record() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(Redacting(secrets_of(TOKEN)))
    log = logging.getLogger("test_logs")
    log.addHandler(handler)
    try:
        log.error("url %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
        log.error("secret %s", TOKEN.split(":")[1])
        try:
            raise InvalidToken(f"The token `{TOKEN}` was rejected by the server.")
        except InvalidToken:
            log.exception("start-up failed")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert TOKEN.split(":")[1] not in text and "123456789:" not in text.replace(HIDDEN, "")
    assert text.count(HIDDEN) == 3 and "InvalidToken" in text


def test_without_a_token_nothing_is_hidden() -> None:
    assert secrets_of(None) == () and secrets_of("") == ()
