"""Waiting on real processes: a condition polled until a bound, and a live catalog's row count
read from outside its owner (read-only; 0 while the owner holds it mid-write)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Callable


def wait_until(check: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout} s: {what}")


def catalog_rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    except sqlite3.Error:
        return 0
