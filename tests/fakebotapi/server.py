# Waiting helpers take a default timeout so a broken bot fails a test instead of hanging it.
# ruff: noqa: ASYNC109
"""``FakeBotApi``: the HTTP face of the fake Telegram, on 127.0.0.1, plus the handles tests use
to script users, inject faults and look at what the bot did."""

from __future__ import annotations

import asyncio
import json
import re
import socket
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from .media import edit_message_media
from .methods import METHODS as _BASE_METHODS
from .params import ApiError, Params, UploadedFile
from .people import FakeGroup, FakeUser
from .records import ApiRequest, FakeChat, Fault
from .state import TelegramState

T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijk"
_TOKEN_RE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
METHODS = {**_BASE_METHODS, "editMessageMedia": edit_message_media}
_BY_LOWER = {name.lower(): name for name in METHODS}


class FakeBotApi:
    """A Bot API server good enough for python-telegram-bot's polling bot. Usage::

    async with FakeBotApi() as server:  # or: base_url = await server.start() ... stop()
        app = ApplicationBuilder().token(server.token).base_url(server.base_url).build()
        ...  # initialize(), start(), updater.start_polling()
        alice = server.user(1, "Alice")
        await alice.send("/start")
        reply = await alice.wait_for_message(lambda m: "Welcome" in m.text)
        await alice.press(reply, "Rate films")
    """

    def __init__(self, token: str = DEFAULT_TOKEN, *, bot_username: str = "moviebot_test_bot"):
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError("a token looks like 123456:ABC-def")
        self.token = token
        self.state = TelegramState(
            {
                "id": int(token.split(":", 1)[0]),
                "is_bot": True,
                "first_name": "MovieBot",
                "username": bot_username,
            }
        )
        self.requests: list[ApiRequest] = []
        """Every request with a valid token, in arrival order."""
        self.downloads: list[str] = []
        """The file_id of every file the bot downloaded, in order."""
        self.internal_errors: list[Exception] = []
        """Exceptions inside the fake itself (answered with a 500); tests assert it is empty."""
        self.observers: list[Callable[[ApiRequest, bool], None]] = []
        """Called after every answered request with whether it succeeded: a load generator
        follows thousands of users this way instead of one waiter each."""
        self._faults: defaultdict[str, deque[Fault]] = defaultdict(deque)
        self._users: dict[int, FakeUser] = {}
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Listen on ``port`` of 127.0.0.1 (0: a free one); returns the base URL to give PTB
        (it appends the token)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/documents/{file_id}", self._download)
        # handler_cancellation: a long poll whose client went away stops waiting.
        self._runner = web.AppRunner(
            app,
            access_log=None,
            handle_signals=False,
            handler_cancellation=True,
            shutdown_timeout=1,
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.base_url = f"http://127.0.0.1:{port}/bot"
        return self.base_url

    async def stop(self) -> None:
        """End pending long polls and close the server."""
        self.state.closing = True
        self.state.signal.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- the test's handles -----------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        *,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """The scripted user with this id (created on first use), with a private chat."""
        if user_id not in self._users:
            self._users[user_id] = FakeUser(
                self.state, user_id, first_name, username=username, language_code=language_code
            )
        return self._users[user_id]

    def group(
        self, chat_id: int, title: str = "Movie club", *, supergroup: bool = False
    ) -> FakeGroup:
        return FakeGroup(self.state, chat_id, title, "supergroup" if supergroup else "group")

    def chat(self, chat_id: int) -> FakeChat:
        return self.state.chats[chat_id]

    def push_raw(self, update: dict[str, Any]) -> int:
        """Deliver an update exactly as given (malformed, or of a kind the bot did not ask
        for), as a broken or hostile Bot API server would; returns its update id."""
        return self.state.push_raw(update)

    def inject(self, method: str, *faults: Fault) -> None:
        """Queue faults for the next calls of ``method`` (one fault per call)."""
        self._faults[method.lower()].extend(faults)

    def calls(self, method: str) -> list[ApiRequest]:
        """Logged requests of one method."""
        return [r for r in self.requests if r.method.lower() == method.lower()]

    async def wait_until(
        self, condition: Callable[[], T | None], timeout: float = 5.0, what: str = "condition"
    ) -> T:
        """Wait, without polling, until ``condition()`` is truthy; returns its value."""
        return await self.state.signal.wait_for(condition, timeout, lambda: f"{what} not met")

    async def wait_for_poll(self, timeout: float = 5.0) -> None:
        """Wait until the bot has finished one more getUpdates call than it had now."""
        target = self.state.polls_answered + 1
        await self.wait_until(lambda: self.state.polls_answered >= target, timeout, "next poll")

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """setMyCommands results: (scope JSON, language code) -> commands."""
        return self.state.commands

    @property
    def webhook(self) -> dict[str, Any] | None:
        return self.state.webhook

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _reply(ApiError(401, "Unauthorized").payload(), 401)
        name = _BY_LOWER.get(request.match_info["method"].lower())
        if name is None:
            # Telegram says just "Not Found"; the hint saves a confused hunt for a token bug
            # (PTB reports a 404 as InvalidToken).
            method = request.match_info["method"]
            error = ApiError(404, f"Not Found: the fake Bot API does not implement {method}")
            return _reply(error.payload(), 404)
        try:
            values, files = await _read_params(request)
        except ApiError as error:
            return _reply(error.payload(), error.code)
        logged = ApiRequest(name, values, request.content_type, files)
        self.requests.append(logged)
        self.state.signal.notify()
        response = await self._answer(name, values, files)
        for observe in self.observers:
            observe(logged, response.status == 200)
        return response

    async def _download(self, request: web.Request) -> web.Response:
        """A file's bytes, as Telegram serves them after getFile; every download is logged."""
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        stored = self.state.files.get(request.match_info["file_id"])
        if stored is None:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(stored.file_id)
        self.state.signal.notify()
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _answer(
        self, name: str, values: dict[str, Any], files: dict[str, UploadedFile]
    ) -> web.Response:
        """Apply the next injected fault for ``name``, if any, else run the method."""
        faults = self._faults[name.lower()]
        if faults:
            fault = faults.popleft()
            if fault.delay:
                await asyncio.sleep(fault.delay)  # a simulated slow server, not a poll loop
            if fault.error_code is not None:
                parameters = {"retry_after": fault.retry_after} if fault.retry_after else None
                canned = ApiError(fault.error_code, fault.description, parameters)
                return _reply(canned.payload(), fault.error_code)
        try:
            result = await METHODS[name](self.state, Params(values, files))
        except ApiError as error:
            return _reply(error.payload(), error.code)
        except Exception as error:  # a bug in the fake: keep it visible to the test
            self.internal_errors.append(error)
            self.state.signal.notify()
            return _reply(ApiError(500, f"Internal Server Error: {error!r}").payload(), 500)
        return _reply({"ok": True, "result": result}, 200)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Parameters from the query string and the body, whatever its encoding."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return values, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON body must be an object")
        values.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = UploadedFile(
                    name, value.filename, value.content_type, value.file.read()
                )
            else:
                values[name] = value
    return values, files


def _reply(payload: dict[str, Any], status: int) -> web.Response:
    return web.Response(text=json.dumps(payload), status=status, content_type="application/json")
