"""What is in the store, as plain data: the CLI renders it, the daemon serves it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from photofind.private import readable_by_others
from photofind.store.catalog import Catalog
from photofind.results import CollectionInfo, StatusReport
from photofind.store.store import disk_usage
from photofind.store.hnsw import predates
from photofind.store.vectors import describe, photofind_collections


def collection_infos(catalog: Catalog, client: Callable[[], Any]) -> list[dict[str, Any]]:
    """From the catalog, where every index run leaves them: opening Chroma costs seconds and a
    gigabyte at 100,000 photos. A store indexed before photofind kept them is asked once."""
    infos = catalog.collection_infos()
    if not infos:
        infos = [describe(col) for col in photofind_collections(client())]
        with catalog.transaction():
            for info in infos:
                catalog.set_collection_info(info)
    return infos


def collect_status(
    catalog: Catalog, client: Callable[[], Any], data_dir: Path, model_id: str, runtime: str | None = None
) -> StatusReport:
    """`client` opens Chroma, and is called only for a store that predates the catalog's summaries.
    `runtime`: what runs the model (onnx or torch), None for a model without one (pixel)."""
    files, unique, skipped = catalog.counts()
    collections = [CollectionInfo(i["name"], i["model"], i["space"], i["vectors"], i.get("hnsw") or {},
                                  predates(i.get("hnsw") or {}))
                   for i in collection_infos(catalog, client)]
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
        readable_by_others=readable_by_others(data_dir),
    )
