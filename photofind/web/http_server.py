"""The page's HTTP server (uvicorn). The socket is bound by the caller's thread (so "address in
use" is a clear error before anything else starts), then uvicorn serves it from a thread of its
own, in `photofind web` as in `photofind watch --web`. Signals stay with the main thread.

`start_web` is what the server process (photofind.daemon) calls to add the page to itself."""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
import time

from photofind.errors import InputError
from photofind.web.security import WILDCARDS, exposure_warning

if TYPE_CHECKING:
    from photofind.api.requests import Request
    from photofind.settings import Settings


log = logging.getLogger("photofind.web")

def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port)."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                          flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        raise InputError(f"cannot serve the web page on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def url_of(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in WILDCARDS else host
    return f"http://[{shown}]:{port}/" if ":" in shown else f"http://{shown}:{port}/"


class AccessLog:
    """ASGI middleware: with -v (DEBUG), one line per HTTP request: method, path, status, time."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or not log.isEnabledFor(logging.DEBUG):
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), ["-"]

        async def sending(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                status[0] = str(message.get("status"))
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            query = scope.get("query_string", b"").decode("latin-1")
            log.debug("%s %s%s %s in %.0f ms", scope.get("method"), scope.get("path"), f"?{query}" if query else "",
                      status[0], (time.perf_counter() - started) * 1000)


class WebServer:
    """uvicorn on an already bound socket, in a daemon thread, stopped with stop()."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        import uvicorn

        self.sock = sock
        config = uvicorn.Config(AccessLog(app), log_level="warning", access_log=False, lifespan="off",
                                loop="asyncio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="photofind-web", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except Exception:  # logged, not raised: the daemon keeps indexing without its page
            log.exception("the web server stopped")

    def start(self) -> "WebServer":
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)
        self.sock.close()


@dataclass
class RunningWeb:
    server: WebServer
    url: str

    def stop(self) -> None:
        self.server.stop()


def start_web(settings: "Settings", answer: Callable[["Request"], Any], host: str, *, who: str,
              referenced: set[str] | None = None) -> RunningWeb:
    """Bind host:web.port (a clear error if taken), then serve the app from a thread.
    `referenced`: the hashes still indexed, to sweep the thumbnails of the others first."""
    from photofind.store.thumbnails import sweep
    from photofind.web.app import create_app

    warning = exposure_warning(host)
    if warning:
        log.warning(warning)
    if referenced is not None:
        sweep(settings.store.cache_dir, referenced)
    sock = listen(host, settings.web.port)
    server = WebServer(create_app(answer, settings, host=host, who=who), sock).start()
    url = url_of(sock, host)
    log.info("web page: %s (answered by %s)", url, who)
    return RunningWeb(server, url)


def page_url(data_dir: Path) -> str | None:
    """The page's address, once the server that serves it has published it in the lock file."""
    from photofind.store.lock import LOCK_NAME, read_owner

    return read_owner(data_dir / LOCK_NAME).get("web")
