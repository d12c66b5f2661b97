"""The daemon's wire protocol: JSON lines on a Unix socket (mode 0600).

Request:  {"v": 2, "request": {"verb": "like", ...}}  (photofind.api.requests, typed, parsed once)
Replies:  any number of {"v": 2, "progress": {...}} (a job's progress) and {"v": 2, "alive": true}
          (sent every HEARTBEAT seconds while an answer takes time), then one final
          {"v": 2, "ok": true, "result": {...}} or {"v": 2, "ok": false, "error": {"type", "message"}}.

The client's timeout counts silence, not the whole answer: a reindex of a large library may run
for an hour and never time out, while a daemon that stops answering is noticed in IDLE_TIMEOUT.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from photofind import errors
from photofind.errors import DaemonError, PhotofindError

if TYPE_CHECKING:
    from photofind.api.requests import Request
    from photofind.results import DownloadProgress, Progress

# 3: combined queries (examples, weights), roots in results, download progress. A server from
# before would answer `like a b --not c` as `like a`: it refuses instead, and the line says why.
VERSION = 3
SOCKET_NAME = "photofind.sock"
HEARTBEAT = 5.0  # seconds between "alive" lines while a request runs
IDLE_TIMEOUT = 60.0  # seconds of silence after which the client gives up on the daemon
_MAX_UNIX_PATH = 100  # sun_path is 108 bytes on Linux; keep a margin


def socket_path(data_dir: Path) -> Path:
    """In the data dir when the path fits a Unix socket address, else in $XDG_RUNTIME_DIR (or a
    private folder in /tmp), named after the data dir so two stores never share a socket."""
    beside = data_dir / SOCKET_NAME
    if len(str(beside).encode()) <= _MAX_UNIX_PATH:
        return beside
    tag = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / f"photofind-{tag}.sock"
    private = Path(tempfile.gettempdir()) / f"photofind-{os.getuid()}"
    private.mkdir(mode=0o700, exist_ok=True)
    return private / f"photofind-{tag}.sock"


def encode(message: dict[str, Any]) -> bytes:
    return (json.dumps({"v": VERSION, **message}) + "\n").encode()


class LineReader:
    """Reads one JSON object per line from a socket, keeping what follows a line for the next."""

    def __init__(self, sock: socket.socket, limit: int = 64 << 20) -> None:
        self.sock = sock
        self.limit = limit
        self.buf = bytearray()

    def read(self) -> dict[str, Any]:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("the connection closed")
            self.buf += chunk
            if len(self.buf) > self.limit:
                raise ValueError("message too long")
        line, _, rest = bytes(self.buf).partition(b"\n")
        self.buf = bytearray(rest)
        return json.loads(line)


def error_payload(exc: BaseException) -> dict[str, Any]:
    kind = type(exc).__name__ if isinstance(exc, PhotofindError) else "InternalError"
    return {"ok": False, "error": {"type": kind, "message": str(exc)}}


def raise_remote(error: dict[str, Any]) -> None:
    cls = getattr(errors, error.get("type", ""), None)
    if isinstance(cls, type) and issubclass(cls, PhotofindError):
        raise cls(error.get("message", ""))
    raise DaemonError(f"the daemon failed: {error.get('message', 'unknown error')}")


class DaemonClient:
    def __init__(self, path: Path, pid: int | None = None, idle_timeout: float = IDLE_TIMEOUT,
                 command: str = "watch") -> None:
        self.path = path
        self.pid = pid
        self.idle_timeout = idle_timeout
        self.command = command  # "watch" or "serve": named in errors
        self.process: Any = None  # the server's Popen when this process started it for its command (api/client.py)
        self.made_store = False  # ... and that server created the store (there was none before)

    @property
    def who(self) -> str:
        return f"photofind {self.command} (pid {self.pid})" if self.pid else f"photofind {self.command}"

    def call(self, request: "Request", on_progress: Callable[["Progress | DownloadProgress"], None] | None = None) -> Any:
        """Send `request` and wait for its answer's JSON; every way the socket can fail is a
        one-line DaemonError (or StoreBusyError) that names the daemon."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.idle_timeout)
            try:
                sock.connect(str(self.path))
            except OSError as exc:
                raise errors.StoreBusyError(
                    f"{self.who} owns this index but its socket {self.path} "
                    f"does not answer ({exc.strerror}); restart it",
                    self.pid,
                ) from None
            try:
                sock.sendall(encode({"request": request.to_json()}))
                return self._answer(LineReader(sock), on_progress)
            except socket.timeout:
                raise DaemonError(
                    f"{self.who} sent nothing for {self.idle_timeout:g} s; it may be stuck: "
                    "see its log, or restart it"
                ) from None
            except (OSError, ValueError) as exc:  # ConnectionError, a broken pipe, a garbled line
                raise DaemonError(
                    f"{self.who} closed the connection before answering ({exc}); did it stop? "
                    "Run the command again"
                ) from None

    def _answer(self, reader: LineReader, on_progress: Callable[["Progress | DownloadProgress"], None] | None) -> Any:
        while True:
            reply = reader.read()
            if reply.get("v") != VERSION:
                raise DaemonError(
                    f"{self.who} speaks protocol {reply.get('v')}, this photofind {VERSION}; restart it"
                )
            if "progress" in reply:
                if on_progress is not None:
                    from photofind.results import progress_from_json

                    on_progress(progress_from_json(reply["progress"]))  # a job's files, or a download
                continue
            if reply.get("alive"):
                continue
            if not reply.get("ok"):
                raise_remote(reply.get("error", {}))
            return reply.get("result")
