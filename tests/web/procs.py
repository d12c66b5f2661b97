"""Real `photofind web` and `photofind watch --web` processes for the tests, always stopped
(tests/web/conftest.py has the autouse fixture that kills whatever a test left running)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from photofind.store.lock import read_owner

PY = sys.executable
STARTED: list["Server"] = []


def wait_until(check: Callable[[], object], timeout: float = 30.0, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


class Server:
    """`photofind ARGS...` in a subprocess, its stdout and stderr in one log file; `url` is the
    page's address once it serves (from its first line for `web`, its lock file for `watch`)."""

    def __init__(self, home: Path, log: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.home, self.log_path = home, log
        self.env = {**os.environ, "PHOTOFIND_WATCH_SETTLE_SECONDS": "1", **(env or {})}
        self.log = open(log, "ab")
        self.proc = subprocess.Popen([PY, "-m", "photofind", *args], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=self.env)
        STARTED.append(self)
        self.url = str(wait_until(self._url, 90, f"photofind {' '.join(args)} to serve:\n{self.text()}"))

    def _url(self) -> str | None:
        if self.proc.poll() is not None:
            raise AssertionError(f"photofind exited {self.proc.returncode}:\n{self.text()}")
        found = re.search(r"photofind web: (http://\S+)", self.text())
        if found:
            return found.group(1)
        owner = read_owner(self.home / "photofind.lock")
        return owner.get("web") if owner.get("pid") == self.proc.pid else None

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PY, "-m", "photofind", *args], capture_output=True, text=True, env=self.env, timeout=120)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.log.close()
        return rc


def stop_all() -> None:
    while STARTED:
        server = STARTED.pop()
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait(timeout=30)
        server.log.close()
