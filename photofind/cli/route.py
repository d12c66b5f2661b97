"""Who answers a request: the one server that owns the store (`photofind watch`, or a
`photofind serve` started here on demand), or this process (taking the lock) when servers are
switched off (`server.autostart = false`, `--no-server`).

Chroma's PersistentClient must have one owner, and opening it costs seconds at 100,000 photos,
so the store is opened once, by the server, and kept warm. Either way the request runs through
the same handler (photofind.api.handlers)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from photofind.daemon.protocol import DaemonClient
from photofind.errors import DaemonError, PhotofindError
from photofind.store.discard import discard_unused
from photofind.store.layout import store_exists
from photofind.store.lock import SERVERS, StoreLock

if TYPE_CHECKING:
    from photofind.api.requests import Request
    from photofind.settings import Settings
    from photofind.results import DownloadProgress, Progress

SERVER_LOG = "server.log"
START_TIMEOUT = 120.0  # a server waits out a short command's lock, then opens Chroma
STOP_WAIT = 10.0  # a server asked to stop exits within its stop deadline (photofind.daemon.stopping)


def daemon_client(data_dir: Path) -> DaemonClient | None:
    """The server's client when one owns `data_dir`, else None (then the caller opens the store
    itself, and gets a clear StoreBusyError if another command holds it)."""
    lock = StoreLock(data_dir)
    if not lock.is_held_elsewhere():
        return None
    owner = lock.owner()
    if owner.get("command") in SERVERS and owner.get("socket"):
        return DaemonClient(Path(owner["socket"]), owner.get("pid"), command=owner["command"])
    return None


def server_client(settings: "Settings", *, start: bool = True, creates: bool = False) -> DaemonClient | None:
    """The running server's client; with `start` (and server.autostart), one started now when
    none runs and there is a store to serve (or the command `creates` one). None: answer here."""
    data_dir = settings.store.data_dir
    client = daemon_client(data_dir)
    if client is not None or not (start and settings.server.autostart):
        return client
    existed = store_exists(data_dir)
    if not (creates or existed):
        return None
    client = start_server(settings)
    client.made_store = client.process is not None and not existed
    return client


def start_server(settings: "Settings") -> DaemonClient:
    """`photofind serve` in the background (its own session: it outlives this command), with
    this command's settings; returns once its socket answers. Two commands racing here start two,
    of which one takes the lock and the other exits: both end up talking to the winner."""
    from photofind.api.requests import PingRequest
    from photofind.config import env_name

    from photofind.private import private_dir

    data_dir = settings.store.data_dir
    private_dir(data_dir)  # here, not in the server: a line saying it was tightened shows on this terminal
    env = dict(os.environ)
    for key, origin in settings.sources.items():  # what this command was told on its command line
        if origin == "the command line" and not key.startswith("store.data_dir"):
            value = _value_of(settings, key)
            env[env_name(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    args = [sys.executable, "-m", "photofind", "--data-dir", str(data_dir)]
    if settings.config_path is not None:
        args += ["--config", str(settings.config_path)]
    log_fd = os.open(data_dir / SERVER_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with open(log_fd, "ab") as log:
        proc = subprocess.Popen([*args, "serve"], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        client = daemon_client(data_dir)
        if client is not None:
            try:
                client.call(PingRequest())
                if client.pid == proc.pid:  # not a racing command's server
                    client.process = proc
                return client
            except DaemonError:
                pass  # the socket is not listening yet
        elif proc.poll() is not None and proc.returncode != 0 and not StoreLock(data_dir).is_held_elsewhere():
            raise DaemonError(f"photofind serve could not start: {_last_line(data_dir / SERVER_LOG)}")
        time.sleep(0.05)
    raise DaemonError(f"photofind serve did not answer within {START_TIMEOUT:.0f} s; see {data_dir / SERVER_LOG}")


def stop_started_server(client: DaemonClient, wait: float = STOP_WAIT) -> None:
    """A server started for a command whose work failed (the model could not load) exits with
    that command instead of holding its memory until it idles out: asked to stop,
    waited for, killed if it has not gone within `wait`. The command's own error is what the
    user sees."""
    from photofind.api.requests import StopRequest

    proc: subprocess.Popen[bytes] = client.process
    try:
        client.call(StopRequest())
    except PhotofindError:  # DaemonError, StoreBusyError: it is stopping or gone already
        pass
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _value_of(settings: "Settings", dotted: str) -> Any:
    obj: Any = settings
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else "(no log)"


def answer(
    settings: "Settings",
    request: "Request",
    *,
    client: DaemonClient | None = None,
    on_progress: Callable[["Progress | DownloadProgress"], None] | None = None,
) -> Any:
    """`request`'s answer from `client` (the server, found by the caller), or from this process
    holding the lock for as long as it takes."""
    if client is not None:
        try:
            return request.decode(client.call(request, on_progress))
        except Exception:  # not Ctrl-C: a cancelled job keeps its server, which keeps what it indexed
            if client.process is not None:
                stop_started_server(client)
                if client.made_store:
                    discard_unused(settings.store.data_dir)
            raise
    from photofind.api.handlers import Context, run
    from photofind.api.requests import IndexRequest
    from photofind.embedders import Models
    from photofind.store.store import Store

    indexing = isinstance(request, IndexRequest)
    command = ("index" if request.paths else "reindex") if isinstance(request, IndexRequest) else request.verb
    models = Models(settings.model)
    models.get(request.model)  # an unknown model fails here, before the store is opened
    existed = store_exists(settings.store.data_dir)
    try:
        with Store(settings.store.data_dir, command, must_exist=not indexing, url=settings.store.url) as store:
            return run(request, Context(store, store.catalog, settings, models, on_progress=on_progress))
    except BaseException:
        if not existed:  # a failed first run leaves no empty store behind to change the next command
            discard_unused(settings.store.data_dir)
        raise
