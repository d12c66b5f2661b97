"""`photofind watch [PATH...]`: keep the index in step with the folders and serve queries."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import List, Optional

import typer

from photofind.cli import options, web_cmd
from photofind.cli.common import handles_errors, load_settings


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
    """Watch folders, index every change within seconds, and answer like/status/reindex."""
    settings = load_settings(ctx, **options.model_flags(model, device), **{"watch.polling": polling, "web.port": port})
    roots = options.folders(paths)
    logging.basicConfig(
        stream=sys.stderr, level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s photofind: %(message)s", datefmt="%Y-%m-%d %H:%M:%S",
    )
    for noisy in ("watchdog", "chromadb", "httpx", "posthog", "uvicorn"):  # per-event chatter even at INFO
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from photofind.daemon.daemon import Daemon

    raise typer.Exit(Daemon(settings, roots, web_host=host if web else None).run())
