"""A full exact scan (what `--metric l1|corr` and `--exact` run) read from the vector mirror
against the same scan read from Chroma alone, on a real temporary store filled with N random
unit vectors; and what the mirror costs on disk. Prints one table; all figures from this run.

    .venv/bin/python scripts/bench_full_scan.py --count 2000             # seconds
    .venv/bin/python scripts/bench_full_scan.py --count 100000 --dim 512
    .venv/bin/python scripts/bench_full_scan.py --count 100000 --dim 3072  # the pixel model's size

The mirror's side is `VectorStore.iter_all` (what photofind.query scans, its resync check
included); Chroma's side pages `collection.get(include=["embeddings"], limit, offset)`, the
only way to read every vector back from Chroma. Both feed the same `exact_top_k`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from photofind.query.distances import METRICS, exact_top_k  # noqa: E402
from photofind.query.matches import SCAN_PAGE_BYTES  # noqa: E402
from photofind.store.layout import CATALOG_NAME, CHROMA_DIR  # noqa: E402
from photofind.store.store import Store, disk_usage  # noqa: E402
from photofind.store.vectors import VectorStore  # noqa: E402


def random_units(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, dim), dtype=np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def catalog_bytes(store: Store) -> int:
    store.catalog.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the WAL folded in: one file to measure
    path = store.data_dir / CATALOG_NAME
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def timed_pages(pages: Iterator[tuple[list[str], np.ndarray]], times: list[float]) -> Iterator[tuple[list[str], np.ndarray]]:
    """Pass pages through, recording how long each took to arrive (the read, not the scoring)."""
    while True:
        start = time.perf_counter()
        try:
            page = next(pages)
        except StopIteration:
            return
        times.append(time.perf_counter() - start)
        yield page


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=100_000, help="vectors in the store")
    p.add_argument("--dim", type=int, default=512, help="512 (CLIP) or 3072 (pixel)")
    p.add_argument("--metric", choices=METRICS, default="l1")
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--repeat", type=int, default=3, help="scans from the mirror (the best is shown)")
    p.add_argument("--chroma-repeat", type=int, default=1, help="scans from Chroma (the best is shown)")
    p.add_argument("--batch", type=int, default=5000, help="vectors per write while filling")
    a = p.parse_args()

    rng = np.random.default_rng(0)
    query = random_units(rng, 1, a.dim)[0]
    with tempfile.TemporaryDirectory(prefix="pf-scan-") as tmp, Store(Path(tmp), "bench") as store:
        vectors = store.vectors("bench-random", "cosine")
        # photofind.query.matches' page size, capped at Chroma's batch as iter_all caps it
        rows = min(max(256, SCAN_PAGE_BYTES // (4 * a.dim)), vectors.max_batch)
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {a.count:,} x {a.dim}-d, metric {a.metric}, "
              f"pages of {rows} rows; {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} at start", flush=True)
        before = catalog_bytes(store)
        start = time.perf_counter()
        for first in range(0, a.count, a.batch):
            n = min(a.batch, a.count - first)
            ids = [f"{i:064x}" for i in range(first, first + n)]
            vectors.upsert(ids, random_units(rng, n, a.dim), [{}] * n)
        fill = time.perf_counter() - start
        mirror_bytes = catalog_bytes(store) - before
        chroma_bytes = disk_usage(store.data_dir / CHROMA_DIR)
        print(f"filled in {fill:.1f} s (Chroma and mirror)", flush=True)

        mirror_runs, chroma_runs = [], []
        mirror_top: list[tuple[str, float]] = []
        for _ in range(a.repeat):
            start = time.perf_counter()
            mirror_top = exact_top_k(a.metric, query, vectors.iter_all(rows), a.k)
            mirror_runs.append(time.perf_counter() - start)
        page_times: list[float] = []
        chroma_top: list[tuple[str, float]] = []
        for _ in range(a.chroma_repeat):
            page_times = []
            start = time.perf_counter()
            pages = timed_pages(VectorStore._chroma_pages(vectors.collection(), rows), page_times)
            chroma_top = exact_top_k(a.metric, query, pages, a.k)
            chroma_runs.append(time.perf_counter() - start)
        same = [h for h, _ in mirror_top] == [h for h, _ in chroma_top]

        tenth = max(1, len(page_times) // 10)
        first_pages = sum(page_times[:tenth]) / tenth
        last_pages = sum(page_times[-tenth:]) / tenth
        print(f"| {a.count:,} x {a.dim}-d, {a.metric} | seconds |")
        print("|---|---|")
        print(f"| scan from the mirror (best of {a.repeat}) | {min(mirror_runs):.2f} (all: "
              f"{', '.join(f'{t:.2f}' for t in mirror_runs)}) |")
        print(f"| scan from Chroma alone (best of {a.chroma_repeat}) | {min(chroma_runs):.2f} (all: "
              f"{', '.join(f'{t:.2f}' for t in chroma_runs)}) |")
        print(f"| ratio | {min(chroma_runs) / min(mirror_runs):.1f}x |")
        print(f"| Chroma page read, first tenth / last tenth of {len(page_times)} pages | "
              f"{first_pages * 1000:.0f} ms / {last_pages * 1000:.0f} ms |")
        print(f"| mirror on disk | {mirror_bytes / 1e6:,.0f} MB ({mirror_bytes / a.count:,.0f} B per vector) |")
        print(f"| Chroma on disk | {chroma_bytes / 1e6:,.0f} MB |")
        print(f"same top {a.k}: {same}; load {os.getloadavg()[0]:.2f} at the end", flush=True)
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
