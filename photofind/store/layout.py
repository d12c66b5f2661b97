"""Where things live in a data dir. Light on purpose: the CLI's fast path reads it."""

from __future__ import annotations

from pathlib import Path

CATALOG_NAME = "catalog.sqlite"
CHROMA_DIR = "chroma"


def store_exists(data_dir: Path) -> bool:
    return (data_dir / CATALOG_NAME).is_file()
