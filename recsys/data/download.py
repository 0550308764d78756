"""One file over HTTP into a ``.part`` file: resumed with a Range request, shown as a progress
bar (MB, rate, ETA), and checked against an md5 before anything uses it."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
from tqdm import tqdm

from recsys.data.errors import ChecksumError, FetchError

TIMEOUT_S = 30.0
_MD5 = re.compile(r"\b([0-9a-fA-F]{32})\b")


class Unreachable(FetchError):
    """The server could not be reached at all (no network, DNS, refused): nothing arrived."""


def download(url: str, part: Path, *, progress: bool = True, label: str | None = None) -> None:
    """Append ``url``'s bytes to ``part`` from where it ends, until the file is whole.

    A server that ignores the Range header (200 instead of 206) gets the file written anew. A
    cut connection leaves ``part`` as far as it got, for the next call to resume; it raises
    FetchError saying so. Unreachable when no connection could be made.
    """
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        with (
            httpx.Client(timeout=TIMEOUT_S, follow_redirects=True) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code == 416:  # the part already holds every byte
                return
            if response.status_code >= 400:
                raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            if response.status_code != 206:
                offset = 0
            length = int(response.headers.get("content-length", 0)) or None
            with (
                part.open("ab" if offset else "wb") as file,
                tqdm(
                    total=None if length is None else offset + length,
                    initial=offset,
                    desc=label or part.name,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    disable=not progress,
                ) as bar,
            ):
                for chunk in response.iter_bytes():  # as received: a cut keeps what came
                    file.write(chunk)
                    bar.update(len(chunk))
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
        raise Unreachable(f"cannot reach {url} ({exc})") from exc
    except httpx.TransportError as exc:
        got = part.stat().st_size if part.is_file() else 0
        raise FetchError(
            f"{url}: download cut off after {got / 1e6:.1f} MB ({exc}); run the same command "
            "again to resume"
        ) from exc


def published_md5(url: str) -> str:
    """The md5 in the ``<url>.md5`` sidecar GroupLens publishes (``MD5 (x.zip) = <hex>`` or
    ``<hex>  x.zip``)."""
    try:
        response = httpx.get(f"{url}.md5", timeout=TIMEOUT_S, follow_redirects=True)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
        raise Unreachable(f"cannot reach {url}.md5 ({exc})") from exc
    except httpx.TransportError as exc:
        raise FetchError(f"{url}.md5: {exc}") from exc
    if response.status_code != 200:
        raise FetchError(f"{url}.md5: HTTP {response.status_code}")
    return parse_md5(response.text, f"{url}.md5")


def parse_md5(text: str, source: str) -> str:
    match = _MD5.search(text)
    if match is None:
        raise FetchError(f"{source} holds no md5")
    return match.group(1).lower()


def verify(path: Path, algorithm: str, expected: str, label: str | None = None) -> None:
    """ChecksumError unless ``path``'s digest is ``expected``; ``label`` names the file."""
    with path.open("rb") as file:
        found = hashlib.file_digest(file, algorithm).hexdigest()
    if found != expected.lower():
        raise ChecksumError(
            f"{label or path.name}: {algorithm} is {found}, expected {expected}; "
            "the download is damaged or not the published file"
        )
