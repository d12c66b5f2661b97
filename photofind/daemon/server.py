"""The Unix socket server: each connection is one request line and one reply line."""

from __future__ import annotations

import logging
import os
import socketserver
from pathlib import Path
from typing import Any, Callable

from photofind.daemon.protocol import VERSION, encode, error_payload, read_line
from photofind.errors import PhotofindError

log = logging.getLogger("photofind.daemon")

Handler = Callable[[str, dict[str, Any]], Any]


class _Connection(socketserver.BaseRequestHandler):
    server: "SocketServer"

    def handle(self) -> None:
        try:
            request = read_line(self.request)
            if request.get("v") != VERSION:
                reply = {"ok": False, "error": {"type": "PhotofindError",
                                                "message": f"protocol {request.get('v')} is not {VERSION}; upgrade"}}
            else:
                reply = {"ok": True, "result": self.server.dispatch(str(request.get("cmd")), request.get("args") or {})}
        except PhotofindError as exc:
            reply = error_payload(exc)
        except Exception as exc:  # a bug in one request must not take the daemon down
            log.exception("request failed")
            reply = error_payload(exc)
        try:
            self.request.sendall(encode(reply))
        except OSError:
            pass  # the client went away


class SocketServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, dispatch: Handler) -> None:
        self.path = path
        self.dispatch = dispatch
        path.unlink(missing_ok=True)  # left by a killed daemon; we hold the store lock now
        old = os.umask(0o177)  # the socket is born 0600: only this user may talk to the daemon
        try:
            super().__init__(str(path), _Connection)
        finally:
            os.umask(old)

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.path.unlink(missing_ok=True)
