"""``AiohttpRequest``: python-telegram-bot's HTTP transport, on aiohttp instead of httpx.

PTB sends every Bot API call through a ``BaseRequest``. Its default, ``HTTPXRequest``, spends
most of the bot's CPU under load in httpx, httpcore and anyio bookkeeping (bench/load.py:
about 57% of the event loop at 100 updates/s); aiohttp does the same requests for a fraction
of that. A call is one POST, its parameters a JSON body (cheaper to write than a form: the
form encoder quoted every character of every keyboard), files a multipart form.

Calls that are safe to repeat (answering a button, editing a message) are retried after a
5xx answer or a timeout; sending a message is not, since a lost answer may hide a delivered
message. Flood control (429) is the rate limiter's job. ``getMe`` is tried once: at start-up
bot/reach.py repeats it with a back-off of its own, one log line a try.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any, cast

import aiohttp
import orjson
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

log = logging.getLogger(__name__)
JSONDict = dict[str, Any]
# A timeout PTB passes: seconds, None (no limit) or its DEFAULT_NONE marker ("not given"). Its
# own alias lives in the private telegram._utils.types; ``object`` takes all three.
Timeout = object

SAFE_TO_REPEAT = frozenset(
    {
        "answerCallbackQuery",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "deleteMessage",
        "sendChatAction",
        "setMyCommands",
        "getChat",
        "stopPoll",
    }
)
RETRY_DELAYS_S = (0.25, 1.0)
_SERVER_ERRORS = frozenset({500, 502, 503, 504})
_REJECTED = frozenset({401, 404})


class Rejected(NetworkError):
    """A call answered 401 or 404 that ``on_rejected`` was told about (and logged)."""


def endpoint(url: str) -> str:
    """The Bot API method a URL calls (the last part; the token is the part before)."""
    return url.rsplit("/", 1)[-1]


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a pool of ``connection_pool_size`` keep-alive connections.

    Timeouts are seconds (None: wait for ever); a method call may override them. Error
    messages never quote the URL, which holds the bot's token.
    """

    def __init__(
        self,
        connection_pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        on_payload: Callable[[JSONDict], None] | None = None,
    ) -> None:
        """``on_payload(answer)`` sees every answer once decoded, before PTB builds objects
        from it (the inbox keeps the updates of getUpdates as Telegram wrote them)."""
        self._pool_size = connection_pool_size
        self._on_payload = on_payload
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self.on_rejected: Callable[[int], None] | None = None
        """Called with the status when an answer is 401 or 404: the token or the URL is
        wrong, which no retry mends (PTB raises InvalidToken for both)."""

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        write_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        connect_timeout: Timeout = BaseRequest.DEFAULT_NONE,
        pool_timeout: Timeout = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        status, body = await self._with_retries(
            url, method, request_data, read_timeout, connect_timeout, pool_timeout
        )
        if status in _REJECTED and self.on_rejected is not None:
            self.on_rejected(status)
            # Not PTB's InvalidToken: that would end its polling loop with an error, and the
            # shutdown that on_rejected asked for would stop half way, leaving the process
            # alive. A network error lets polling wind down as on any stop.
            raise Rejected(f"{endpoint(url)} was answered {status}")
        return status, body

    async def _with_retries(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        read_timeout: Timeout,
        connect_timeout: Timeout,
        pool_timeout: Timeout,
    ) -> tuple[int, bytes]:
        """One call, repeated after a 5xx or a timeout when it is safe to repeat."""
        name = endpoint(url)
        delays = RETRY_DELAYS_S if name in SAFE_TO_REPEAT else ()
        for delay in delays:
            try:
                status, body = await self._once(
                    url, method, request_data, read_timeout, connect_timeout, pool_timeout
                )
            except NetworkError as error:  # TimedOut included
                log.warning("%s failed (%s); retrying in %.2fs", name, error.message, delay)
            else:
                if status not in _SERVER_ERRORS:
                    return status, body
                log.warning("%s answered %d; retrying in %.2fs", name, status, delay)
            await asyncio.sleep(delay)
        return await self._once(
            url, method, request_data, read_timeout, connect_timeout, pool_timeout
        )

    async def _once(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        read_timeout: Timeout,
        connect_timeout: Timeout,
        pool_timeout: Timeout,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        # aiohttp has no write timeout; sock_read bounds the wait for the answer after it.
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        try:
            body, headers = _body(request_data)
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                status, body = response.status, await response.read()
        except TimeoutError as error:  # aiohttp's timeouts are TimeoutErrors
            raise TimedOut(f"aiohttp.{type(error).__name__}") from error
        except (aiohttp.ClientError, OSError) as error:
            raise NetworkError(
                f"aiohttp.{type(error).__name__}: {_redacted(error, url)}"
            ) from error
        return status, body

    # PTB's is a staticmethod but is called on the instance: this one needs ``self``.
    def parse_json_payload(self, payload: bytes) -> JSONDict:  # type: ignore[override]
        """The answer decoded (the documented place to change it), shown to ``on_payload``.

        orjson decodes a getUpdates answer in half the time of the json module; what it
        refuses goes to ``_lenient``.
        """
        try:
            answer: JSONDict = orjson.loads(payload)
        except orjson.JSONDecodeError:
            answer = _lenient(payload)
        if self._on_payload is not None:
            self._on_payload(answer)
        return answer


def _lenient(payload: bytes) -> JSONDict:
    """An answer orjson refuses: text that is not UTF-8 is repaired (to U+FFFD, as PTB's own
    decoder does), and a lone surrogate (``"\\ud800"``, valid JSON that no UTF-8 encoder takes,
    so the inbox could never store it) becomes "?". Anything else is no JSON at all: one log
    line, and PTB reports the call as failed."""
    try:
        loose = json.loads(payload.decode("utf-8", "replace"))
    except ValueError as error:
        log.warning("the Bot API answered %d bytes that are not JSON", len(payload))
        raise TelegramError("Invalid server response") from error
    return cast(
        JSONDict, orjson.loads(json.dumps(loose, ensure_ascii=False).encode("utf-8", "replace"))
    )


def _given(value: Timeout, default: float | None) -> float | None:
    """A timeout the call named, or this transport's default."""
    if value is None or isinstance(value, int | float):
        return value
    return default  # PTB's DEFAULT_NONE: the caller named nothing


_JSON = {"Content-Type": "application/json"}


def _body(
    request_data: RequestData | None,
) -> tuple[aiohttp.FormData | bytes | None, dict[str, str] | None]:
    """The request body and its headers: JSON, or a multipart form when files are uploaded."""
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        # The values themselves, keyboards as JSON objects: PTB's json_payload would encode
        # each keyboard to a string first and then encode that string again. orjson writes
        # a rating card's edit ten times faster than the json module.
        return orjson.dumps(request_data.parameters), _JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in files.items():  # PTB's (name, bytes, type)
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form, None


def _redacted(error: BaseException, url: str) -> str:
    """The error's text without the request URL (it contains the token)."""
    text = str(error)
    token_path = url.split("://", 1)[-1]
    return text.replace(url, "<Bot API URL>").replace(token_path, "<Bot API URL>")
