"""A local stand-in for the Hugging Face hub's file URLs, for tests that cannot reach the real one.

It answers `/{repo_id}/resolve/{revision}/{filename}` as the hub does for a plain (non-Xet)
file: HEAD with X-Repo-Commit, ETag and Content-Length, GET with the bytes, sent in pieces with
a pause between them so that a progress bar has time to show; 404 for anything else.
huggingface_hub's own hf_hub_download talks to it when HF_ENDPOINT names it.

`bad["org/repo/filename"]` is a list of bodies a GET sends instead of the file, one per GET,
while HEAD still describes the true file: a transfer cut short (a shorter body) or bytes
damaged on the way (same length, other bytes), as a CDN or a proxy can deliver them."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    def __init__(self, files: dict[str, bytes], *, piece: int = 1 << 20, pause: float = 0.0) -> None:
        self.files = files  # "org/repo/filename" -> bytes
        self.bad: dict[str, list[bytes]] = {}
        self.requests: list[tuple[str, str]] = []
        self.sent: list[str] = []  # the paths of the GETs that sent their whole file
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _key(self) -> str | None:
                hub.requests.append((self.command, self.path))
                parts = self.path.lstrip("/").split("/")
                if len(parts) < 5 or parts[2] != "resolve":
                    return None
                return "/".join([parts[0], parts[1], *parts[4:]])

            def _file(self) -> bytes | None:
                key = self._key()
                return hub.files.get(key) if key else None

            def _headers(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()

            def do_HEAD(self) -> None:
                data = self._file()
                if data is None:
                    self.send_error(404)
                    return
                self._headers(data)

            def do_GET(self) -> None:
                key = self._key()
                data = hub.files.get(key) if key else None
                if data is None:
                    self.send_error(404)
                    return
                instead = hub.bad.get(key or "")
                if instead:
                    body = instead.pop(0)
                    self.send_response(200)
                    self.send_header("X-Repo-Commit", COMMIT)
                    self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self._headers(data)
                for start in range(0, len(data), piece):
                    self.wfile.write(data[start:start + piece])
                    self.wfile.flush()
                    time.sleep(pause)
                hub.sent.append(self.path)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        # shutdown() waits for the loop's next poll: 0.5 s by default, paid at every test's end
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def refused_url() -> str:
    """An address on which nothing listens: a connection there is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
