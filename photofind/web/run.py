"""Starting the page: for `photofind web` (this process, or a `watch` daemon, answers) and for
`photofind watch --web` (the daemon's dispatch answers)."""

from __future__ import annotations

import logging
import sys
import threading
import time
import webbrowser
from dataclasses import dataclass

from photofind.daemon.stopping import install_stop_signals
from photofind.settings import Settings
from photofind.cli.route import daemon_client
from photofind.web.answerers import Answer, DaemonAnswerer, sweep_thumbnails
from photofind.web.serve import WebServer, exposure_warning, listen, url_of

log = logging.getLogger("photofind.web")
# --open where Python's webbrowser finds none: no display, no BROWSER, no console browser.
NO_BROWSER = "--open: no web browser found on this machine (no display, and BROWSER is not set); open {url} yourself"


@dataclass
class RunningWeb:
    server: WebServer
    url: str

    def stop(self) -> None:
        self.server.stop()


def start_web(
    settings: Settings, answer: Answer, host: str, *, who: str, referenced: set[str] | None = None
) -> RunningWeb:
    """Bind host:web.port (a clear error if taken), then serve the app from a thread."""
    from photofind.web.app import create_app

    warning = exposure_warning(host)
    if warning:
        log.warning(warning)
    if referenced is not None:
        sweep_thumbnails(settings, referenced)
    sock = listen(host, settings.web.port)
    server = WebServer(create_app(answer, settings, host=host, who=who), sock).start()
    url = url_of(sock, host)
    log.info("web page: %s (answered by %s)", url, who)
    return RunningWeb(server, url)


def serve_page(settings: Settings, host: str, open_browser: bool = False) -> int:
    """`photofind web`. When a `photofind watch` (or another page's server) owns the store, serve
    the page here and let it answer through its socket. Otherwise this process becomes the
    server that owns the store (`photofind serve` with HTTP switched on, never idling out): the
    CLI's commands are answered by it too, and a second owner is refused."""
    client = daemon_client(settings.store.data_dir)
    if client is None:
        from photofind.daemon.daemon import Daemon

        if open_browser:
            threading.Thread(target=_open_when_served, args=(settings,), daemon=True).start()
        return Daemon(settings, [], watch=False, web_host=host).run()
    warning = exposure_warning(host)
    if warning:
        print(f"photofind: {warning}", file=sys.stderr, flush=True)
    answerer = DaemonAnswerer(client)
    from photofind.web.app import create_app

    sock = listen(host, settings.web.port)
    server = WebServer(create_app(answerer, settings, host=host, who=answerer.who), sock).start()
    url = url_of(sock, host)
    print(f"photofind web: {url} (answered by {answerer.who}; Ctrl-C stops it)", flush=True)
    stop = threading.Event()
    install_stop_signals(stop, log)  # exits within GRACE s even if a request hangs the server's stop
    if open_browser and not webbrowser.open(url):
        print(f"photofind: {NO_BROWSER.format(url=url)}", file=sys.stderr, flush=True)
    while not stop.wait(0.5):
        if not server.thread.is_alive():
            print("photofind: the web server stopped", file=sys.stderr)
            return 1
    server.stop()
    return 0


def _open_when_served(settings: Settings) -> None:
    """--open: the browser once the server has published its page's address in the lock file."""
    from photofind.store.lock import LOCK_NAME, read_owner

    for _ in range(1200):
        url = read_owner(settings.store.data_dir / LOCK_NAME).get("web")
        if url:
            if not webbrowser.open(url):
                log.warning(NO_BROWSER.format(url=url))
            return
        time.sleep(0.1)
