"""Small SQLite helpers the store's tables share."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable, Iterator

CHUNK = 500  # values per "IN (...)": far below SQLite's limit on a statement's variables


def chunks(items: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def select_in(db: sqlite3.Connection, sql: str, values: Iterable[str]) -> Iterator[tuple[Any, ...]]:
    """Every row of `sql`, whose `IN ({})` takes `values`, asked a slice at a time."""
    for chunk in chunks(values):
        yield from db.execute(sql.format(",".join("?" * len(chunk))), chunk)
