"""What `watch`, `serve` and `web` share, the three commands that run the server owning the
store (photofind.daemon): its log on stderr, stopping a running one, and the page's address."""

from __future__ import annotations

import logging
import sys
import time
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from photofind.settings import Settings

HOST = typer.Option(
    "127.0.0.1", "--host",
    help="Address to listen on. Anything but loopback lets anyone on that network see your photos.",
)
PORT = typer.Option(None, "--port", help="Port (default 8765, config web.port; 0: any free port).")


def log_to_stderr(verbose: bool) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s photofind: %(message)s", datefmt="%Y-%m-%d %H:%M:%S",
    )
    for noisy in ("watchdog", "chromadb", "httpx", "posthog", "uvicorn"):  # per-event chatter even at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)


def stop_server(settings: "Settings", *, only_serve: bool) -> int | None:
    """Ask a running server to finish and exit; returns its pid once the lock is free.
    `only_serve`: only a background `serve` (it hands the store over to `watch` and `web`)."""
    from photofind.api.client import running_server
    from photofind.api.requests import StopRequest

    server = running_server(settings.store.data_dir)
    if server is None or (only_serve and server.command != "serve"):
        return None
    server.call(StopRequest())
    deadline = time.monotonic() + 120
    while running_server(settings.store.data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    return server.pid


def take_over_from_serve(settings: "Settings") -> None:
    """A background `serve` started on demand hands the index over; another owner does not."""
    if stop_server(settings, only_serve=True):
        logging.getLogger("photofind.daemon").info("took over from photofind serve")
