"""`photofind web`: search, browse and sort the photos in a local web page."""

from __future__ import annotations

import logging
from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.common import handles_errors, load_settings, model_flags

HOST = typer.Option(
    "127.0.0.1", "--host",
    help="Address to listen on. Anything but loopback lets anyone on that network see your photos.",
)
PORT = typer.Option(None, "--port", help="Port (default 8765, config web.port; 0: any free port).")


@handles_errors
def web(
    ctx: typer.Context,
    host: str = HOST,
    port: Optional[int] = PORT,
    open_browser: bool = typer.Option(False, "--open", help="Open the page in the default browser."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log one line per request."),
) -> None:
    """Serve a local web page to search, browse and sort your photos. Owns the index and answers
    every command while it runs, unless photofind watch does (then the page asks it)."""
    settings = load_settings(ctx, **model_flags(model, device), **{"web.port": port})
    from photofind.cli.watch_cmd import _logging, _stop_server
    from photofind.web.run import serve_page

    _logging(verbose)
    # A background `serve` started on demand hands the index over, as it does to `watch`.
    if _stop_server(settings, only_serve=True):
        logging.getLogger("photofind.daemon").info("took over from photofind serve")
    raise SystemExit(serve_page(settings, host, open_browser))
