"""Small SQLite helpers the store's tables share."""

from __future__ import annotations

from typing import Iterable, Iterator

CHUNK = 500  # values per "IN (...)": far below SQLite's limit on a statement's variables


def chunks(items: Iterable[str], size: int = CHUNK) -> Iterator[list[str]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
