"""One owner per store: an exclusive flock on `photofind.lock` in the data dir.

Chroma's PersistentClient is not safe across processes (a second process misses new vectors
or hangs on SQLite), so every command that opens the store holds this lock. The kernel drops
a flock when its process dies, so a lock left by kill -9 is recovered by the next command.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from typing import Callable

from photofind.errors import StoreBusyError
from photofind.private import private_dir

LOCK_NAME = "photofind.lock"
# the long-lived owners, which answer others through their socket (`web`: the server with its page)
SERVERS = ("watch", "serve", "web")


def read_owner(lock_path: Path) -> dict:
    try:
        return json.loads(lock_path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


class StoreLock:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, command: str, *, wait: Callable[[str], None] | None = None, **info: str) -> None:
        """Take the lock, or raise StoreBusyError naming its owner. With `wait` (a server starting),
        a short command's lock is waited for (`wait` is told once whom it waits for); another
        server's is not: two servers never own one store."""
        private_dir(self.path.parent)
        told = False
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                os.close(fd)
                owner = read_owner(self.path)
                pid = owner.get("pid")
                who = f"photofind {owner.get('command', '')} (pid {pid})".replace("  ", " ") if pid else "another photofind"
                server = owner.get("command") in SERVERS
                if wait is None or server:
                    hint = "stop it to run this" if server else "wait for it to finish or stop it"
                    raise StoreBusyError(f"{who} owns this index at {self.path.parent}; {hint}", pid) from None
                if not told:
                    wait(who)
                    told = True
                time.sleep(0.2)
        self._fd = fd
        self._info = {"pid": os.getpid(), "command": command, "since": time.time(), **info}
        self._write()

    def _write(self) -> None:
        assert self._fd is not None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(self._info).encode(), 0)

    def update(self, **info: str) -> None:
        self._info.update(info)
        self._write()

    def owner(self) -> dict:
        return read_owner(self.path)

    def is_held_elsewhere(self) -> bool:
        """True when another process holds the lock right now (probing takes and drops it)."""
        if not self.path.exists():
            return False
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops our probe lock, if we got it
        return False

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
