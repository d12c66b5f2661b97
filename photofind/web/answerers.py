"""Who answers the page's requests. The app takes any `answer(request) -> result` callable:

- the server's own dispatch, when the page is served by the process that owns the store
  (`photofind web`, `photofind watch --web`; see photofind.daemon.daemon);
- `DaemonAnswerer`: another process (`photofind watch`) owns it; each request crosses its socket;
- `LocalAnswerer`: this process takes the store's lock for its lifetime and runs the handlers
  one at a time, with no server at all (the app's tests, scripts).
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from photofind.api.requests import Request
from photofind.settings import Settings
from photofind.daemon.protocol import DaemonClient

log = logging.getLogger("photofind.web")

Answer = Callable[[Request], Any]


class LocalAnswerer:
    who = "this process"

    def __init__(self, settings: Settings) -> None:
        from photofind.api.handlers import Context
        from photofind.embedders import Models
        from photofind.store.store import Store

        models = Models(settings.model)
        models.get()  # an unknown model fails here, before the store is opened
        self.store = Store(settings.store.data_dir, "web", must_exist=True, url=settings.store.url)
        self.context = Context(self.store, self.store.catalog, settings, models)
        self.lock = threading.Lock()  # one catalog connection, one Chroma client: one request at a time
        sweep_thumbnails(settings, self.store.catalog.referenced_hashes())

    def __call__(self, request: Request) -> Any:
        from photofind.api.handlers import run

        with self.lock:
            return run(request, self.context)

    def close(self) -> None:
        self.store.close()


class DaemonAnswerer:
    def __init__(self, client: DaemonClient) -> None:
        self.client = client
        self.who = client.who

    def __call__(self, request: Request) -> Any:
        return request.decode(self.client.call(request))

    def close(self) -> None:
        pass


def sweep_thumbnails(settings: Settings, referenced: set[str]) -> None:
    from photofind.web.thumbs import sweep

    gone = sweep(settings.store.cache_dir, referenced)
    if gone:
        log.info("removed %d thumbnails of photos no longer indexed", gone)
