"""Inline mode in the fake Telegram: a user types ``@bot words`` (``FakeUser.ask_inline``),
the bot answers with ``answerInlineQuery``, checked as Telegram checks it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .formatting import render
from .markup import check_reply_markup
from .params import Params, bad_request
from .state import TelegramState

MAX_RESULTS = 50
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True)
class InlineAnswer:
    """What the bot answered to one inline query."""

    results: list[dict[str, Any]]
    cache_time: int | None
    is_personal: bool
    next_offset: str | None
    button: dict[str, Any] | None

    @property
    def titles(self) -> list[str]:
        return [result.get("title", "") for result in self.results]


@dataclass(eq=False)
class InlineQuery:
    id: str
    user_id: int
    query: str
    answer: InlineAnswer | None = None


def new_inline_query(state: TelegramState, user: dict[str, Any], query: str) -> InlineQuery:
    """Queue the update Telegram sends while a user types ``@bot <query>`` in any chat."""
    asked = InlineQuery(str(20_000_000 + state.serial()), user["id"], query)
    state.inline_queries[asked.id] = asked
    state.push_update(
        "inline_query",
        {"id": asked.id, "from": user, "query": query, "offset": "", "chat_type": "sender"},
    )
    return asked


async def answer_inline_query(state: TelegramState, p: Params) -> Any:
    asked = state.inline_queries.get(p.required_string("inline_query_id"))
    if asked is None or asked.answer is not None:
        raise bad_request(_QUERY_TOO_OLD)
    results = p.json("results")
    if not isinstance(results, list) or len(results) > MAX_RESULTS:
        raise bad_request(
            "RESULTS_TOO_MUCH" if isinstance(results, list) else "can't parse results"
        )
    ids = [_check_result(result) for result in results]
    if len(set(ids)) != len(ids):
        raise bad_request("RESULT_ID_DUPLICATE")
    button = p.json("button")
    if button is not None:
        if not isinstance(button, dict) or not isinstance(button.get("text"), str):
            raise bad_request("can't parse InlineQueryResultsButton")
        start = button.get("start_parameter")
        if start is not None and not _START_PARAMETER.fullmatch(str(start)):
            raise bad_request("START_PARAM_INVALID")
    asked.answer = InlineAnswer(
        results, p.integer("cache_time"), p.boolean("is_personal"), p.string("next_offset"), button
    )
    state.signal.notify()
    return True


def _check_result(result: Any) -> str:
    """The result's id, or the 400 a malformed InlineQueryResultArticle gets."""
    if not isinstance(result, dict) or result.get("type") != "article":
        raise bad_request("the fake Bot API knows only article results")
    result_id = result.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= 64:
        raise bad_request("RESULT_ID_INVALID")
    if not isinstance(result.get("title"), str) or not result["title"]:
        raise bad_request("RESULT_TITLE_EMPTY")
    content = result.get("input_message_content")
    if not isinstance(content, dict) or not isinstance(content.get("message_text"), str):
        raise bad_request("MESSAGE_EMPTY")
    render(content["message_text"], content.get("parse_mode"))  # 400 on bad HTML
    check_reply_markup(result.get("reply_markup"), inline_only=True)
    return result_id
