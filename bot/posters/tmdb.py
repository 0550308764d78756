"""TMDB's ``/movie/{id}``, asked over async HTTP (httpx) for a film's poster path.

The key goes in a header (a v4 read access token) or the ``api_key`` query parameter (a v3
key); either way it must never reach a log line: failures are reported by kind and status
only, never with httpx's message, which quotes the URL, and httpx's own "HTTP Request: GET
<url>" line (INFO) has the key cut out.
"""

from __future__ import annotations

import logging

import httpx
from pydantic import SecretStr

TIMEOUT_S = 2.0  # longer, and the card waits too long: it goes out without its poster


class TmdbUnavailable(RuntimeError):
    """TMDB did not answer in time, or not with a film: try again later."""


class _HideKey(logging.Filter):
    """Cuts the key out of httpx's log records (it logs each request's URL at INFO)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "<TMDB key>"), ()
        return True


class Tmdb:
    """One connection pool to TMDB; ``close()`` at shutdown."""

    def __init__(self, base_url: str, key: SecretStr, timeout_s: float = TIMEOUT_S) -> None:
        secret = key.get_secret_value()
        # v4 tokens are JWTs (three dot-separated parts); v3 keys are 32 hex digits.
        bearer = secret.count(".") == 2
        self._hide = _HideKey(secret)
        logging.getLogger("httpx").addFilter(self._hide)
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout_s),
            headers={"Authorization": f"Bearer {secret}"} if bearer else {},
            params={} if bearer else {"api_key": secret},
            follow_redirects=False,
        )

    async def poster_path(self, tmdb_id: int) -> str | None:
        """The film's poster path (``/abc.jpg``); None when TMDB has no poster or no such
        film. Raises TmdbUnavailable for anything else (timeout, refused key, 5xx)."""
        try:
            response = await self._client.get(f"movie/{tmdb_id}")
        except httpx.HTTPError as error:
            raise TmdbUnavailable(type(error).__name__) from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise TmdbUnavailable(f"HTTP {response.status_code}")
        try:
            path = response.json().get("poster_path")
        except (ValueError, AttributeError):
            raise TmdbUnavailable("an answer that is not a JSON object") from None
        if path is None:
            return None
        if not isinstance(path, str) or not path.startswith("/") or "/" in path[1:]:
            raise TmdbUnavailable("a poster_path that is no file name")
        return path

    async def close(self) -> None:
        await self._client.aclose()
        logging.getLogger("httpx").removeFilter(self._hide)
