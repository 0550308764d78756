"""A real HTTP server on 127.0.0.1 that serves zips the way GroupLens does, Range included.

``cut_after`` makes the next full response stop after that many bytes (the connection closes
with the body short), which is what an interrupted download looks like to the client.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_RANGE = re.compile(r"bytes=(\d+)-$")


@dataclass
class ZipServer:
    files: dict[str, bytes] = field(default_factory=dict)
    cut_after: int | None = None
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range)
    base_url: str = ""


def _handler(state: ZipServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # the name http.server calls
            name = self.path.lstrip("/")
            state.requests.append((name, self.headers.get("Range")))
            body = state.files.get(name)
            if body is None:
                self.send_error(404)
                return
            start = 0
            if (match := _RANGE.match(self.headers.get("Range") or "")) is not None:
                start = int(match.group(1))
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(body) - start))
            self.end_headers()
            payload = body[start:]
            if state.cut_after is not None:
                payload, state.cut_after = payload[: state.cut_after], None
                self.close_connection = True
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@contextmanager
def serving(files: dict[str, bytes]) -> Iterator[ZipServer]:
    state = ZipServer(dict(files))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/datasets/movielens"
    state.files = {f"datasets/movielens/{name}": body for name, body in files.items()}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
