"""What one watch event costs on a large catalog: a new photo, then its deletion, each through
`Indexer.apply` (the daemon's path), on a store of N photos.

The store is generated quickly (catalog rows and random 48-d vectors of the `pixel` model at
4x4, written through the real Catalog and Chroma collection), then reconciled once, as after an
index run. With `--before REV`, the same measurement runs on a copy of the same store with the
code of an older commit (checked out into a temporary git worktree), side by side in one run.

    .venv/bin/python scripts/bench_watch_event.py --n 100000 --before 7c0e0da
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODEL_SIDE = 4  # PixelEmbedder(4): 48-d vectors, so 100k of them build in a minute or two


def build(data_dir: Path, n: int) -> float:
    import numpy as np

    from photofind.embedders.pixel import PixelEmbedder
    from photofind.indexer import Indexer, Plan  # Plan also through indexer: --before runs older code
    from photofind.scanner import PathFilter
    from photofind.store.catalog import FileRow
    from photofind.store.store import Store

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    embedder = PixelEmbedder(MODEL_SIDE)
    with Store(data_dir, "bench") as store:
        vectors = store.vectors(embedder.id, "cosine")
        for start in range(0, n, 5000):
            count = min(5000, n - start)
            hashes = [f"{i:064x}" for i in range(start, start + count)]
            rows = rng.standard_normal((count, embedder.dim)).astype(np.float32)
            rows /= np.linalg.norm(rows, axis=1, keepdims=True)
            vectors.upsert(hashes, rows, [{}] * count)
            with store.catalog.transaction():
                store.catalog.upsert(FileRow(f"/library/album{i // 100:04d}/photo{i:06d}.jpg", h, 1000, 1, "ok")
                                     for i, h in zip(range(start, start + count), hashes))
        # the reconcile an index run ends with: marks the collection in step with the catalog
        Indexer(store.catalog, vectors, embedder, path_filter=PathFilter((".jpg",), ())).apply(Plan(), full=False)
    return time.perf_counter() - started


def measure(data_dir: Path, photos: Path, reps: int) -> dict[str, float]:
    """Runs in a child process, with whichever photofind PYTHONPATH names first."""
    from PIL import Image

    from photofind.embedders.pixel import PixelEmbedder
    from photofind.indexer import Indexer, Plan  # Plan also through indexer: --before runs older code
    from photofind.scanner import FileStat, PathFilter
    from photofind.store.store import Store

    embedder = PixelEmbedder(MODEL_SIDE)
    added: list[float] = []
    removed: list[float] = []
    with Store(data_dir, "bench") as store:
        # Indexer itself, not make_indexer: --before runs this against older commits, whose
        # factory (if any) takes other arguments; Indexer's have stayed the same.
        indexer = Indexer(store.catalog, store.vectors(embedder.id, "cosine"), embedder,
                          path_filter=PathFilter((".jpg",), ()), workers=1)
        for i in range(reps + 1):  # the first event also lists the collection's ids once: reported apart
            path = photos / f"new{i}.jpg"
            Image.new("RGB", (64, 48), (i * 7 % 256, 90, 200)).save(path)
            st = os.stat(path)
            t0 = time.perf_counter()
            indexer.apply(Plan(to_hash=[FileStat(str(path), st.st_size, st.st_mtime_ns)]))
            t1 = time.perf_counter()
            path.unlink()
            indexer.apply(Plan(removed=[str(path)]))
            t2 = time.perf_counter()
            added.append(t1 - t0)
            removed.append(t2 - t1)
    return {
        "first_add_ms": added[0] * 1000,
        "add_ms_p50": statistics.median(added[1:]) * 1000,
        "delete_ms_p50": statistics.median(removed[1:]) * 1000,
    }


def run_child(code: Path, data_dir: Path, photos: Path, reps: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", str(data_dir), str(photos), str(reps)],
        env=env, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="photos in the generated catalog")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--before", help="an older commit to measure beside this checkout")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]), int(args.measure[2]))))
        return
    with tempfile.TemporaryDirectory(prefix="pf-bench-event-") as tmp:
        work = Path(tmp)
        base = work / "store"
        print(f"generating a catalog of {args.n:,} photos ...", flush=True)
        print(f"  built and reconciled in {build(base, args.n):.1f} s", flush=True)
        photos = work / "photos"
        photos.mkdir()
        versions = [("this checkout", REPO)]
        if args.before:
            old = work / "before"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(old), args.before],
                           check=True)
            versions.insert(0, (f"before ({args.before})", old))
        try:
            print(f"\none watch event on {args.n:,} photos ({args.reps} events each, medians):")
            print(f"{'code':<24} {'first add ms':>13} {'add ms':>9} {'delete ms':>10}")
            for label, code in versions:
                copy = work / f"store-{len(label)}"
                shutil.copytree(base, copy)
                r = run_child(code, copy, photos, args.reps)
                print(f"{label:<24} {r['first_add_ms']:>13.1f} {r['add_ms_p50']:>9.1f} {r['delete_ms_p50']:>10.1f}",
                      flush=True)
                shutil.rmtree(copy)
        finally:
            if args.before:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(work / "before")])


if __name__ == "__main__":
    main()
