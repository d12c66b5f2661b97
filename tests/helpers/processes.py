"""Real photofind server processes for the tests (`web`, `watch --web`: Server; `watch`: Watch),
always stopped: the autouse fixtures in tests/conftest.py kill whatever a test left running."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from photofind.api.requests import PingRequest, StatusRequest
from photofind.api.protocol import DaemonClient
from photofind.store.lock import read_owner
from tests.helpers.waiting import wait_until

if TYPE_CHECKING:
    from tests.helpers.cli import Ran

PY = sys.executable
STARTED: list["Server | Watch"] = []
STARTED_BY_COMMANDS: list[subprocess.Popen[bytes]] = []  # on-demand servers of in-process commands (helpers/cli.py)


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
        self.url = str(wait_until(self._url, 90, lambda: f"photofind {' '.join(args)} to serve:\n{self.text()}"))

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

    def cli_here(self, *args: str) -> "Ran":
        """The same command from this process (tests/helpers/cli.py): it talks to this server all the same."""
        from tests.helpers.cli import run_here  # that module imports this one

        return run_here(*args, env=self.env)

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
    while STARTED_BY_COMMANDS:
        proc = STARTED_BY_COMMANDS.pop()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


class Watch:
    """`photofind watch ROOT -m pixel EXTRA...` in a subprocess; `client` talks to its socket."""

    def __init__(self, home: Path, root: Path, log: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.home, self.root, self.log_path = home, root, log
        self.env = {**os.environ, "PHOTOFIND_WATCH_SETTLE_SECONDS": "1", "COLUMNS": "250", **(env or {})}
        self.log = open(log, "ab")
        self.proc = subprocess.Popen([PY, "-m", "photofind", "watch", str(root), "-m", "pixel", *extra],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        STARTED.append(self)
        self.client = wait_until(self._client, 60, lambda: "the daemon did not come up:\n" + self.log_text())

    def _client(self) -> DaemonClient | None:
        assert self.proc.poll() is None, self.log_text()
        owner = read_owner(self.home / "photofind.lock")
        if owner.get("socket") and owner.get("pid") == self.proc.pid:
            client = DaemonClient(Path(owner["socket"]), self.proc.pid, idle_timeout=5)
            try:
                client.call(PingRequest())
                return client
            except Exception:
                pass
        return None

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([PY, "-m", "photofind", *args], capture_output=True, text=True, env=self.env, timeout=120)

    def status(self) -> dict:
        return self.client.call(StatusRequest(model="pixel"))

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.log.close()
        return rc

    def embedded_total(self) -> int:
        return sum(int(n) for n in re.findall(r"\((\d+) embedded", self.log_text()))
