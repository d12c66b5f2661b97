"""Who answers: the running daemon (through its socket) or this process (taking the lock).

Chroma's PersistentClient must have one owner, so while `photofind watch` runs, queries go
to it and this process never opens the store."""

from __future__ import annotations

from pathlib import Path

from photofind.daemon.protocol import DaemonClient
from photofind.lock import StoreLock


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
