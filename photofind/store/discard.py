"""Taking back an empty store that a failed first run made, so that the next command finds no
index, as before that run. Light: the CLI calls it on its error path."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from photofind.errors import StoreBusyError
from photofind.store.layout import CATALOG_NAME, CHROMA_DIR
from photofind.store.lock import StoreLock


def discard_unused(data_dir: Path) -> bool:
    """Remove the store at `data_dir` if nothing was ever put in it: every catalog table empty
    and no vector segment in Chroma's folder. A first `index` that failed (its model could not
    load) leaves it so, and the next command must find no index, as before that run. The server
    log stays (it says why the run failed). Returns whether the store was removed."""
    catalog = data_dir / CATALOG_NAME
    if not catalog.is_file():
        return False
    lock = StoreLock(data_dir)
    try:
        lock.acquire("cleanup")  # no other command may open it meanwhile
    except StoreBusyError:
        return False
    try:
        return _discard_if_empty(data_dir)
    finally:
        lock.release()


def _discard_if_empty(data_dir: Path) -> bool:
    catalog = data_dir / CATALOG_NAME
    chroma = data_dir / CHROMA_DIR
    if chroma.exists() and any(p.name != "chroma.sqlite3" for p in chroma.iterdir()):
        return False  # a collection's segment folder: vectors were written
    db = sqlite3.connect(f"file:{catalog}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if any(db.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0] for t in tables):
            return False
    finally:
        db.close()
    for name in (CATALOG_NAME, f"{CATALOG_NAME}-wal", f"{CATALOG_NAME}-shm"):
        (data_dir / name).unlink(missing_ok=True)
    shutil.rmtree(chroma, ignore_errors=True)
    return True
