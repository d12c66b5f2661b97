"""The Unix socket server: each connection carries one request and its reply lines."""

from __future__ import annotations

import logging
import os
import socketserver
import threading
from pathlib import Path
from typing import Any, Callable

from photofind.api.requests import Request
from photofind.api.protocol import HEARTBEAT, VERSION, LineReader, encode, error_payload
from photofind.errors import PhotofindError

log = logging.getLogger("photofind.daemon")

Emit = Callable[[dict[str, Any]], None]  # sends one progress line to the asking client
# (request, emit, gone) -> the result's JSON; `gone` is set once the client has hung up
Handler = Callable[[Request, Emit, threading.Event], Any]


class _Connection(socketserver.BaseRequestHandler):
    server: "SocketServer"

    def handle(self) -> None:
        send_lock = threading.Lock()
        gone = threading.Event()

        def send(message: dict[str, Any]) -> None:
            with send_lock:  # the heartbeat, a job's progress and the reply come from three threads
                self.request.sendall(encode(message))

        def emit(progress: dict[str, Any]) -> None:
            try:
                send({"progress": progress})
            except OSError:
                gone.set()  # the client hung up (Ctrl-C): its job stops after the batch in flight

        done = threading.Event()
        try:
            message = LineReader(self.request).read()
            if message.get("v") != VERSION:
                reply = {"ok": False, "error": {"type": "DaemonError",
                                                "message": f"protocol {message.get('v')} is not {VERSION}; restart "
                                                           "photofind watch after an upgrade"}}
            else:
                request = Request.from_json(message.get("request") or {})
                threading.Thread(target=_heartbeat, args=(send, done, gone), daemon=True).start()
                reply = {"ok": True, "result": self.server.dispatch(request, emit, gone)}
        except PhotofindError as exc:
            reply = error_payload(exc)
        except Exception as exc:  # a bug in one request must not take the daemon down
            log.exception("request failed")
            reply = error_payload(exc)
        finally:
            done.set()
        try:
            send(reply)
        except OSError:
            pass  # the client went away


def _heartbeat(send: Emit, done: threading.Event, gone: threading.Event) -> None:
    while not done.wait(HEARTBEAT):
        try:
            send({"alive": True})
        except OSError:
            gone.set()
            return


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
