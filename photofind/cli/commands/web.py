"""`photofind web`: search, browse and sort the photos in a local web page."""

from __future__ import annotations

import logging
import sys
import threading
import time
import webbrowser
from typing import TYPE_CHECKING, Optional

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors
from photofind.cli.servers import HOST, PORT

if TYPE_CHECKING:
    from photofind.settings import Settings

# --open where Python's webbrowser finds none: no display, no BROWSER, no console browser.
NO_BROWSER = "--open: no web browser found on this machine (no display, and BROWSER is not set); open {url} yourself"

app = options.command_app()


@app.command()
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
    from photofind.cli.servers import log_to_stderr, take_over_from_serve

    settings = options.load_settings(ctx, **options.model_flags(model, device), **{"web.port": port})
    log_to_stderr(verbose)
    take_over_from_serve(settings)
    raise SystemExit(serve_page(settings, host, open_browser))


def serve_page(settings: "Settings", host: str, open_browser: bool = False) -> int:
    """When a `photofind watch` (or another page's server) owns the store, serve the page here
    and let it answer through its socket. Otherwise this process becomes the server that owns
    the store (`photofind serve` with HTTP switched on, never idling out): the CLI's commands
    are answered by it too, and a second owner is refused."""
    import logging

    from photofind.api.client import Client, running_server
    from photofind.daemon.stopping import install_stop_signals
    from photofind.web.http_server import WebServer, exposure_warning, listen, url_of

    server = running_server(settings.store.data_dir)
    if server is None:
        from photofind.daemon.daemon import Daemon

        if open_browser:
            threading.Thread(target=_open_when_served, args=(settings,), daemon=True).start()
        return Daemon(settings, [], watch=False, web_host=host).run()
    warning = exposure_warning(host)
    if warning:
        print(f"photofind: {warning}", file=sys.stderr, flush=True)
    answerer = Client(settings, server)
    from photofind.web.app import create_app

    sock = listen(host, settings.web.port)
    http = WebServer(create_app(answerer, settings, host=host, who=answerer.who), sock).start()
    url = url_of(sock, host)
    print(f"photofind web: {url} (answered by {answerer.who}; Ctrl-C stops it)", flush=True)
    stop = threading.Event()
    install_stop_signals(stop, logging.getLogger("photofind.web"))  # exits within GRACE s even if a request hangs
    if open_browser and not webbrowser.open(url):
        print(f"photofind: {NO_BROWSER.format(url=url)}", file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        if not http.thread.is_alive():
            print("photofind: the web server stopped", file=sys.stderr)
            return 1
    http.stop()
    return 0


def _open_when_served(settings: "Settings") -> None:
    """--open: the browser once the server has published its page's address in the lock file."""
    from photofind.web.http_server import page_url

    for _ in range(1200):
        url = page_url(settings.store.data_dir)
        if url:
            if not webbrowser.open(url):
                logging.getLogger("photofind.web").warning(NO_BROWSER.format(url=url))
            return
        time.sleep(0.1)
