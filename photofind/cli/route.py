"""Who answers a request: the running daemon (through its socket) or this process (taking the lock).

Chroma's PersistentClient must have one owner, so while `photofind watch` runs, requests go
to it and this process never opens the store. Either way the request runs through the same
handler (photofind.api.handlers)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from photofind.daemon.protocol import DaemonClient
from photofind.store.lock import StoreLock

if TYPE_CHECKING:
    from photofind.api.requests import Request
    from photofind.config import Settings
    from photofind.results import Progress


def daemon_client(data_dir: Path) -> DaemonClient | None:
    """The daemon's client when `photofind watch` owns `data_dir`, else None (then the caller
    opens the store itself, and gets a clear StoreBusyError if another command holds it)."""
    lock = StoreLock(data_dir)
    if not lock.is_held_elsewhere():
        return None
    owner = lock.owner()
    if owner.get("command") == "watch" and owner.get("socket"):
        return DaemonClient(Path(owner["socket"]), owner.get("pid"))
    return None


def answer(
    settings: "Settings",
    request: "Request",
    *,
    client: DaemonClient | None = None,
    on_progress: Callable[["Progress"], None] | None = None,
) -> Any:
    """`request`'s answer from `client` (the daemon, found by the caller with daemon_client), or
    from this process holding the lock for as long as it takes."""
    if client is not None:
        return request.decode(client.call(request, on_progress))
    from photofind.api.handlers import Context, run
    from photofind.api.requests import IndexRequest
    from photofind.embedders import Models
    from photofind.store.store import Store

    indexing = isinstance(request, IndexRequest)
    command = ("index" if request.paths else "reindex") if isinstance(request, IndexRequest) else request.verb
    models = Models(settings.model)
    models.get(request.model)  # an unknown model fails here, before the store is opened
    with Store(settings.store.data_dir, command, must_exist=not indexing, url=settings.store.url) as store:
        return run(request, Context(store, store.catalog, settings, models, on_progress=on_progress))
