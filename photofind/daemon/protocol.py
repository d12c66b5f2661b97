"""The daemon's wire protocol: one JSON object per line each way, on a Unix socket (mode 0600).

Request:  {"v": 1, "cmd": "like", "args": {...}}
Response: {"v": 1, "ok": true, "result": {...}}  or  {"v": 1, "ok": false, "error": {"type": ..., "message": ...}}

Results are the same dicts the CLI builds locally (`to_json()`), so both paths render alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

from photofind import errors
from photofind.errors import PhotofindError

VERSION = 1
SOCKET_NAME = "photofind.sock"
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


def read_line(sock: socket.socket, limit: int = 64 << 20) -> dict[str, Any]:
    buf = bytearray()
    while not buf.endswith(b"\n"):
        chunk = sock.recv(1 << 16)
        if not chunk:
            break
        buf += chunk
        if len(buf) > limit:
            raise ValueError("message too long")
    if not buf:
        raise ConnectionError("the daemon closed the connection")
    return json.loads(buf)


def error_payload(exc: BaseException) -> dict[str, Any]:
    kind = type(exc).__name__ if isinstance(exc, PhotofindError) else "InternalError"
    return {"ok": False, "error": {"type": kind, "message": str(exc)}}


def raise_remote(error: dict[str, Any]) -> None:
    cls = getattr(errors, error.get("type", ""), None)
    if isinstance(cls, type) and issubclass(cls, PhotofindError):
        raise cls(error.get("message", ""))
    raise PhotofindError(f"the daemon failed: {error.get('message', 'unknown error')}")


class DaemonClient:
    def __init__(self, path: Path, pid: int | None = None) -> None:
        self.path = path
        self.pid = pid

    def call(self, cmd: str, timeout: float = 600.0, **args: Any) -> Any:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            try:
                sock.connect(str(self.path))
            except OSError as exc:
                raise errors.StoreBusyError(
                    f"photofind watch (pid {self.pid}) owns this index but its socket {self.path} "
                    f"does not answer ({exc.strerror}); restart it",
                    self.pid,
                ) from None
            sock.sendall(encode({"cmd": cmd, "args": args}))
            reply = read_line(sock)
        if reply.get("v") != VERSION:
            raise PhotofindError(f"the daemon speaks protocol {reply.get('v')}, this photofind {VERSION}; restart it")
        if not reply.get("ok"):
            raise_remote(reply.get("error", {}))
        return reply.get("result")
