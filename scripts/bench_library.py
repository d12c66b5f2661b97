#!/usr/bin/env python3
"""The web page's library view at scale: how long a page of the home page, a deep page of the
newest photos, the folder list and a folder take through the real app (Starlette TestClient,
LocalSession, real store), with N catalog rows (default 100,000).

A small real library is indexed with the `pixel` model, then N rows are added to its catalog
(10 years x 20 albums, pointing at the real photos' hashes: the catalog is what grows with a
library, the HTML of a page does not). Baselines in the same run, SQL only: the newest photos
by sorting the table (no index) against `files_recent`, and the top folders by reading every
path against the seeks photofind.store.browsing makes.
Usage: python scripts/bench_library.py [--rows 100000] [--runs 30] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def p50_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="pf-bench-library-"))
    for name in list(os.environ):
        if name.startswith("PHOTOFIND_"):
            del os.environ[name]
    os.environ.update({"PHOTOFIND_HOME": str(tmp / "home"), "PHOTOFIND_STORE_CACHE_DIR": str(tmp / "cache"),
                       "PHOTOFIND_SERVER_AUTOSTART": "false", "PHOTOFIND_MODEL": "pixel",
                       "XDG_CONFIG_HOME": str(tmp / "xdg")})
    from PIL import Image
    from starlette.testclient import TestClient

    from photofind import config
    from photofind.api.requests import IndexRequest
    from photofind.api.client import Client
    from photofind.store.catalog import FileRow
    from photofind.api.client import LocalSession
    from photofind.web.app import create_app

    root = tmp / "Pictures"
    (root / "real").mkdir(parents=True)
    rng = random.Random(1)
    for i in range(20):
        Image.new("RGB", (64, 48), tuple(rng.randrange(256) for _ in range(3))).save(root / "real" / f"{i}.jpg")
    settings = config.load()
    Client(settings).answer(IndexRequest(paths=(str(root),), model="pixel"))

    answerer = LocalSession(settings)
    catalog = answerer.store.catalog
    hashes = sorted(catalog.referenced_hashes())
    rows = [FileRow(f"{root}/{2015 + i % 10}/album-{i // 10 % 20:03d}/IMG_{i:07d}.jpg", hashes[i % len(hashes)],
                    1_000_000, 1_600_000_000_000_000_000 + rng.randrange(10**17), "ok") for i in range(args.rows)]
    with catalog.transaction():
        catalog.upsert(rows)
    catalog.db.execute("ANALYZE")
    total = catalog.counts()[0]
    middle = catalog.db.execute("SELECT mtime_ns, rowid FROM files WHERE status = 'ok' ORDER BY mtime_ns DESC,"
                                " rowid DESC LIMIT 1 OFFSET ?", (total // 2,)).fetchone()
    pages = {
        "home /": "/",
        "newest, the middle page": f"/recent?after={middle[0]}.{middle[1]}",
        "folders": "/folders",
        "a year's folder": f"/folder?path={root}/2019",
        "an album": f"/folder?path={root}/2019/album-007",
    }
    figures: dict[str, float] = {}
    with TestClient(create_app(answerer, settings), base_url="http://127.0.0.1:8765") as client:
        for label, url in pages.items():
            assert client.get(url).status_code == 200, url
            figures[label] = p50_ms(lambda: client.get(url), args.runs)

    newest = "SELECT rowid, path, hash FROM files {} WHERE status = 'ok' ORDER BY mtime_ns DESC, rowid DESC LIMIT 13"
    figures["SQL: the 13 newest, files_recent"] = p50_ms(
        lambda: catalog.db.execute(newest.format("INDEXED BY files_recent")).fetchall(), args.runs)
    figures["SQL: the 13 newest, sorting the table (no index)"] = p50_ms(
        lambda: catalog.db.execute(newest.format("NOT INDEXED")).fetchall(), max(3, args.runs // 4))
    figures["SQL: the roots' folders, seeks"] = p50_ms(lambda: catalog.subfolders(str(root), 25), args.runs)
    figures["SQL: the roots' folders, reading every path"] = p50_ms(
        lambda: {p.split("/")[len(root.parts)] for (p,) in catalog.db.execute("SELECT path FROM files WHERE status = 'ok'")},
        max(3, args.runs // 4))
    answerer.close()
    if args.json:
        print(json.dumps({"rows": total, "p50_ms": figures}, indent=2))
        return
    print(f"{total:,} catalog rows; p50 in ms (GETs through the app, then SQL alone)")
    for label, ms in figures.items():
        print(f"  {label:55s} {ms:8.1f}")


if __name__ == "__main__":
    main()
