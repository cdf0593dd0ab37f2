"""A tiny real HTTP endpoint on 127.0.0.1 for webhook tests (http.server in a thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    status: int = 200  # what the endpoint answered


@dataclass
class Endpoint:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in turn; then 200
    received: list[Received] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)  # sent with the statuses
    delay: float = 0.0  # seconds each answer takes (to make concurrent senders overlap)

    def accepted(self) -> list[Received]:
        """The requests answered with a 2xx: what a receiver acted on."""
        return [r for r in self.received if 200 <= r.status < 300]


@contextmanager
def endpoint(
    statuses: list[int] | None = None,
    path: str = "/hook?token=abc",
    headers: list[dict[str, str]] | None = None,
    delay: float = 0.0,
) -> Iterator[Endpoint]:
    state = Endpoint(
        url="", statuses=list(statuses or []), headers=list(headers or []), delay=delay
    )
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                status = state.statuses.pop(0) if state.statuses else 200
                extra = state.headers.pop(0) if state.headers else {}
                state.received.append(Received(dict(self.headers.items()), body, status))
            if state.delay:
                time.sleep(state.delay)
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
