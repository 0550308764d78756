"""The one private python-telegram-bot call the bot makes (``Bot._post``, in
bot/telegram_raw.py) still works as the bot needs. If an upgrade of PTB changes it, these
fail first, naming what changed, instead of every reply failing in production."""

from __future__ import annotations

import inspect

from offline import OfflineRequest
from telegram.ext import AIORateLimiter, ExtBot

from bot import telegram_raw

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"


def test_bot_post_still_takes_an_endpoint_and_its_parameters() -> None:
    parameters = list(inspect.signature(ExtBot._post).parameters)
    assert parameters[:3] == ["self", "endpoint", "data"], (
        "PTB changed Bot._post's signature: bot/telegram_raw.py must follow, or go through "
        f"send_message / edit_message_text instead (now: {parameters})"
    )


async def test_a_raw_call_returns_the_undecoded_result_through_the_rate_limiter() -> None:
    request = OfflineRequest()
    passed: list[str] = []

    class Counting(AIORateLimiter):
        async def process_request(  # type: ignore[no-untyped-def]
            self, callback, args, kwargs, endpoint, data, rate_limit_args
        ):
            passed.append(endpoint)
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )

    limiter = Counting(overall_max_rate=0, max_retries=3)
    bot = ExtBot(TOKEN, request=request, get_updates_request=request, rate_limiter=limiter)
    async with bot:
        keyboard = {"inline_keyboard": [[{"text": "★1", "callback_data": "r1:50:2"}]]}
        result = await telegram_raw.post(
            bot, "sendMessage", {"chat_id": 5, "text": "<b>hi</b>", "reply_markup": keyboard}
        )
    assert isinstance(result, dict), "the raw call must hand back the answer's JSON, not objects"
    assert result["chat"]["id"] == 5 and result["message_id"] >= 1000
    assert request.sent("sendMessage") == [
        {"chat_id": 5, "text": "<b>hi</b>", "reply_markup": keyboard}
    ], "the parameters must reach the transport as they were given"
    assert passed[-1] == "sendMessage", "raw calls must go through PTB's rate limiter"
