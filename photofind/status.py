"""What is in the store, as plain data: the CLI renders it, the daemon serves it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from photofind.store.catalog import Catalog
from photofind.results import CollectionInfo, StatusReport
from photofind.store.store import disk_usage
from photofind.store.vectors import photofind_collections


def collect_status(
    catalog: Catalog, client: Any, data_dir: Path, model_id: str, runtime: str | None = None
) -> StatusReport:
    files, unique, skipped = catalog.counts()
    collections = []
    for col in photofind_collections(client):
        meta = col.metadata or {}
        collections.append(
            CollectionInfo(col.name, str(meta.get("photofind_model", "?")), str(meta.get("hnsw:space", "l2")), col.count())
        )
    last = catalog.get_meta("last_index")
    return StatusReport(
        data_dir=str(data_dir),
        store_bytes=disk_usage(data_dir),
        roots=[str(r) for r in catalog.roots()],
        files=files,
        unique_images=unique,
        skipped=dict(skipped.most_common()),
        skipped_examples=[(r.path, r.error or "") for r in catalog.skipped(5)],
        model=model_id,
        collections=collections,
        last_index=datetime.fromtimestamp(float(last)).isoformat(timespec="seconds") if last else None,
        last_model=catalog.get_meta("last_model"),
        runtime=runtime,
    )
