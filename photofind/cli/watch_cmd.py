"""`photofind watch [PATH...]` and `photofind serve`: the one process that owns the index.

`serve` is what the CLI starts on demand (and what exits when idle); `watch` is the same server
that also follows the folders and never idles out."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from photofind.cli import options, web_cmd
from photofind.cli.common import console, folders, handles_errors, load_settings, model_flags
from photofind.settings import Settings


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s photofind: %(message)s", datefmt="%Y-%m-%d %H:%M:%S",
    )
    for noisy in ("watchdog", "chromadb", "httpx", "posthog", "uvicorn"):  # per-event chatter even at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _stop_server(settings: Settings, *, only_serve: bool) -> int | None:
    """Ask a running server to finish and exit; returns its pid once the lock is free."""
    from photofind.api.requests import StopRequest
    from photofind.cli.route import daemon_client

    client = daemon_client(settings.store.data_dir)
    if client is None or (only_serve and client.command != "serve"):
        return None
    client.call(StopRequest())
    deadline = time.monotonic() + 120
    while daemon_client(settings.store.data_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    return client.pid


@handles_errors
def watch(
    ctx: typer.Context,
    paths: Optional[List[Path]] = typer.Argument(None, help="Folders to add; default: the remembered ones."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    polling: Optional[bool] = typer.Option(None, "--polling/--inotify", help="Poll instead of inotify (network drives)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every move and watcher detail."),
    web: bool = typer.Option(False, "--web", help="Also serve the web page (photofind web) from this daemon."),
    host: str = web_cmd.HOST,
    port: Optional[int] = web_cmd.PORT,
) -> None:
    """Watch folders, index every change within seconds, and answer every command."""
    settings = load_settings(ctx, **model_flags(model, device), **{"watch.polling": polling, "web.port": port})
    roots = folders(paths)
    _logging(verbose)
    # A background `serve` started on demand hands the index over; another `watch` does not.
    if _stop_server(settings, only_serve=True):
        logging.getLogger("photofind.daemon").info("took over from photofind serve")
    from photofind.daemon.daemon import Daemon

    raise SystemExit(Daemon(settings, roots, web_host=host if web else None).run())


@handles_errors
def serve(
    ctx: typer.Context,
    stop: bool = typer.Option(False, "--stop", help="Stop the running server (watch or serve) instead."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more: one line per request."),
) -> None:
    """Own the index and answer every command until idle (server.idle_minutes). The CLI starts
    it in the background when needed; run it by hand only to watch its log."""
    settings = load_settings(ctx)
    if stop:
        pid = _stop_server(settings, only_serve=False)
        console.print(f"stopped the photofind server (pid {pid})" if pid else "no photofind server runs")
        return
    _logging(verbose)
    from photofind.daemon.daemon import Daemon

    raise SystemExit(Daemon(settings, [], watch=False, idle_minutes=settings.server.idle_minutes).run())
