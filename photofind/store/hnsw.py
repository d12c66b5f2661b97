"""The HNSW configuration of new vector collections, and how an existing one compares.

Chosen with scripts/bench_recall.py (docs/performance.md, "Neighbours you can trust"). `ef_search` can be
raised on an existing collection (Chroma applies it when the index is next loaded);
`max_neighbors` and `ef_construction` are fixed when a collection is built, so a collection built
with other values is reported by `status` and rebuilt by `photofind reindex --full`."""

from __future__ import annotations

from typing import Mapping

HNSW: dict[str, int] = {"max_neighbors": 32, "ef_construction": 200, "ef_search": 400}
BUILD_KEYS = ("max_neighbors", "ef_construction")  # fixed once the collection is built


def creation_metadata() -> dict[str, int]:
    """Chroma's collection metadata names for HNSW."""
    return {"hnsw:M": HNSW["max_neighbors"], "hnsw:construction_ef": HNSW["ef_construction"],
            "hnsw:search_ef": HNSW["ef_search"]}


def predates(config: Mapping[str, int]) -> bool:
    """Built with other fixed settings than photofind uses now (an empty config: unknown, not old)."""
    return any(key in config and config[key] != HNSW[key] for key in BUILD_KEYS)
