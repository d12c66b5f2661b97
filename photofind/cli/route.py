"""Who answers: the running daemon (through its socket) or this process (taking the lock).

Chroma's PersistentClient must have one owner, so while `photofind watch` runs, queries go
to it and this process never opens the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from photofind.daemon.protocol import DaemonClient
from photofind.store.lock import StoreLock

if TYPE_CHECKING:
    from photofind.config import Settings
    from photofind.embedders import Embedder
    from photofind.store.store import Store

T = TypeVar("T")


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
    cmd: str,
    args: dict[str, Any],
    local: Callable[["Store", "Embedder"], T],
    decode: Callable[[Any], T],
) -> T:
    """Run a query verb where the store lives: in the daemon when one owns it (its JSON answer
    decoded into the same type), else here, holding the lock for as long as it takes."""
    client = daemon_client(settings.data_dir)
    if client is not None:
        return decode(client.call(cmd, model=settings.model.name, **args))
    from photofind.embedders import create_embedder
    from photofind.store.store import Store

    embedder = create_embedder(settings.model)
    with Store(settings.data_dir, cmd, must_exist=True, url=settings.store_url) as store:
        return local(store, embedder)
