"""A fake TMDB API on 127.0.0.1 for the poster tests: ``GET /3/movie/{id}`` answers like TMDB
(up), with a 500 (failing), or only after ``delay`` seconds (slow). Nothing reaches TMDB."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

Mode = Literal["up", "failing", "slow"]
KEY = "0123456789abcdef0123456789abcdef"  # a v3 key's shape


@dataclass
class FakeTmdb:
    """``posters`` maps TMDB ids to poster paths (None: TMDB knows the film, has no poster);
    other ids answer 404. ``asked`` lists the ids requested, in order."""

    posters: dict[int, str | None] = field(default_factory=dict)
    key: str = KEY
    mode: Mode = "up"
    delay: float = 5.0
    asked: list[int] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    async def __aenter__(self) -> FakeTmdb:
        app = web.Application()
        app.router.add_get("/3/movie/{tmdb_id}", self._movie)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False,
                                     handler_cancellation=True, shutdown_timeout=0.5)  # fmt: skip
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/3"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _movie(self, request: web.Request) -> web.Response:
        tmdb_id = int(request.match_info["tmdb_id"])
        self.asked.append(tmdb_id)
        bearer = request.headers.get("Authorization") == f"Bearer {self.key}"
        if request.query.get("api_key") != self.key and not bearer:
            refused = {"status_code": 7, "status_message": "Invalid API key"}
            return web.json_response(refused, status=401)
        if self.mode == "failing":
            return web.json_response({"status_code": 11}, status=500)
        if self.mode == "slow":
            await asyncio.sleep(self.delay)
        if tmdb_id not in self.posters:
            return web.json_response({"status_code": 34}, status=404)
        return web.json_response({"id": tmdb_id, "poster_path": self.posters[tmdb_id]})
