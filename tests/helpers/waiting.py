"""Waiting on real processes: the one wait_until (a condition polled until a bound), and a live
catalog's row count read from outside its owner (read-only; 0 while the owner holds it mid-write)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], timeout: float = 30.0, what: str | Callable[[], str] = "",
               every: float = 0.05) -> T:
    """`check()`'s first truthy value, polled every `every` s; AssertionError after `timeout` s,
    saying `what` (a callable is asked only then, e.g. for a log's text). `check` may raise to
    stop early (a process that exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(every)
    raise AssertionError(f"not within {timeout} s: {what() if callable(what) else what}")


def catalog_rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as con:
            return con.execute("SELECT COUNT(*) FROM files").fetchone()[0]
    except sqlite3.Error:
        return 0
