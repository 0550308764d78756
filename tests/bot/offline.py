"""An offline request class for PTB: answers Bot API calls locally and records them.

Handler tests run ``Application.process_update`` with this instead of HTTP (as PTB's own tests
do); the end-to-end tests use the fake Bot API server over real HTTP instead.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 999, "is_bot": True, "first_name": "moviebot", "username": "movie_test_bot"}


class OfflineRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._ids = itertools.count(1000)

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def methods(self) -> list[str]:
        return [method for method, _ in self.calls]

    def sent(self, method: str) -> list[dict[str, Any]]:
        return [params for m, params in self.calls if m == method]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.calls.append((name, params))
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in {"sendMessage", "sendDocument", "editMessageText"}:
            chat_id = int(params.get("chat_id", 1))
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id", next(self._ids))),
                "date": 0,
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", params.get("caption", "")),
            }
            if "reply_markup" in params:
                markup = params["reply_markup"]
                message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
            return message
        return True
