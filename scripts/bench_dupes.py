#!/usr/bin/env python3
"""photofind dupes at scale: time, peak memory, planted copies found, false merges.

Generates N distinct small camera-like photos (160x120 JPEGs: smooth fields, shapes, noise),
plants P byte-identical copies and P resized copies (50 %, JPEG q85) of random originals,
indexes them with the `pixel` model through the real CLI, then runs `photofind dupes --json`
(and `--exact-only`) in a subprocess and reports its wall time and peak RSS, how many planted
copies landed in a group with their original, and how many groups hold two different originals
(false merges). --catalog-only skips the embedding (dupes reads no vector) for large N.
--plain makes the originals plain low-detail photos (tests.images.plain: a smooth gradient of
random colours, 160x120), where grey alone cannot tell them apart. --synthetic writes N random
fingerprints (pHash, inner pHash, noise thumbnails) straight through the real Catalog, with the
planted copies sharing their original's codes, for a million-photo run without decoding anything.
Usage: python scripts/bench_dupes.py [--count 5000] [--copies 100] [--loose] [--catalog-only] [--plain]
       python scripts/bench_dupes.py --synthetic 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.images import photo, plain  # noqa: E402  the tests' generators

MEASURE = (
    "import resource, runpy, sys\n"
    "sys.argv = ['photofind', *sys.argv[1:]]\n"
    "try:\n    runpy.run_module('photofind', run_name='__main__')\n"
    "finally:\n    print('maxrss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
)


def log(msg: str) -> None:
    print(f"[bench_dupes] {msg}", file=sys.stderr, flush=True)


def make_library(lib: Path, count: int, copies: int, plain_photos: bool = False) -> None:
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for i in range(count):
        folder = lib / f"{i // 1000:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        p = folder / f"o{i:06d}.jpg"
        if not p.exists():
            (plain if plain_photos else photo)(100_000 + i, (160, 120)).save(p, quality=90)
    picked = rng.choice(count, 2 * copies, replace=False)
    (lib / "planted").mkdir(exist_ok=True)
    for n, i in enumerate(picked):
        src = lib / f"{i // 1000:03d}" / f"o{i:06d}.jpg"
        if n < copies:
            shutil.copy(src, lib / "planted" / f"exact_o{i:06d}.jpg")
        else:
            Image.open(src).resize((80, 60), Image.Resampling.LANCZOS).save(
                lib / "planted" / f"resized_o{i:06d}.jpg", quality=85)
    log(f"{count} originals and {2 * copies} planted copies in {time.perf_counter() - started:.0f} s")


def fill_catalog(lib: Path, home: Path) -> None:
    """Catalog rows and fingerprints (the code the indexer uses, decoding each file) written
    through the real Catalog, without vectors: `dupes` reads none, and embedding 100k photos
    takes ~25 minutes on the 2-core development VM."""
    from photofind.media.fingerprint import fingerprint_file
    from photofind.media.hashing import sha256_file
    from photofind.store.catalog import FileRow
    from photofind.store.store import Store

    rows: list[FileRow] = []
    prints = []
    with Store(home, "bench") as store:
        for p in sorted(lib.rglob("*.jpg")):
            st = p.stat()
            digest = sha256_file(p)
            rows.append(FileRow(str(p), digest, st.st_size, st.st_mtime_ns, "ok"))
            prints.append((digest, fingerprint_file(p)))
            if len(rows) >= 1000:
                with store.catalog.transaction():
                    store.catalog.put_fingerprints(prints)
                    store.catalog.upsert(rows)
                rows, prints = [], []
        with store.catalog.transaction():
            store.catalog.put_fingerprints(prints)
            store.catalog.upsert(rows)


def fill_synthetic(home: Path, count: int, copies: int) -> None:
    """count originals with random codes and noise thumbnails (no two alike) and 2 x copies
    planted copies (exact: a second path; resized: the same codes, the thumbnail within noise),
    named like make_library's files, written through the real Catalog 10,000 rows at a time."""
    from photofind.media.fingerprint import COLOUR, THUMB, Fingerprint
    from photofind.store.catalog import FileRow
    from photofind.store.store import Store

    rng = np.random.default_rng(0)
    picked = rng.choice(count, 2 * copies, replace=False)
    resized = {int(i): n for n, i in enumerate(picked[copies:])}
    exact = {int(i) for i in picked[:copies]}
    with Store(home, "bench") as store:
        for start in range(0, count, 10_000):
            rows, prints = [], []
            for i in range(start, min(count, start + 10_000)):
                code = int(rng.integers(0, 2**63)) * 2 + int(rng.integers(0, 2))
                inner = int(rng.integers(0, 2**63)) * 2
                thumb = rng.integers(0, 256, THUMB * THUMB, dtype=np.uint8)
                colour = rng.integers(0, 256, COLOUR * COLOUR * 3, dtype=np.uint8)
                digest = f"{i:064x}"
                path = f"/bench/{i // 1000:04d}/o{i:07d}.jpg"
                prints.append((digest, Fingerprint(f"{code:016x}", 160, 120, None, thumb.tobytes(), f"{inner:016x}",
                                                   colour.tobytes())))
                rows.append(FileRow(path, digest, 5000, 10**18, "ok"))
                if i in exact:
                    rows.append(FileRow(f"/bench/planted/exact_o{i:07d}.jpg", digest, 5000, 10**18, "ok"))
                if i in resized:
                    noisy = np.clip(thumb.astype(int) + rng.integers(-3, 4, thumb.size), 0, 255).astype(np.uint8)
                    prints.append((f"{count + resized[i]:064x}", Fingerprint(
                        f"{code:016x}", 80, 60, None, noisy.tobytes(), f"{inner:016x}", colour.tobytes())))
                    rows.append(FileRow(f"/bench/planted/resized_o{i:07d}.jpg", f"{count + resized[i]:064x}",
                                        2000, 10**18, "ok"))
            with store.catalog.transaction():
                store.catalog.put_fingerprints(prints)
                store.catalog.upsert(rows)
            if start % 100_000 == 0:
                log(f"{start + len(range(start, min(count, start + 10_000)))} fingerprints written")


def run(env: dict[str, str], *args: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, *args], capture_output=True, text=True, env=env)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"photofind {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    rss = int(done.stderr.rsplit("maxrss_kb", 1)[1].split()[0])
    return took, rss * 1024, done.stdout


def origin(path: str) -> str:
    """o000123 for the original and both its planted copies."""
    return Path(path).stem.rsplit("_", 1)[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=5000)
    ap.add_argument("--copies", type=int, default=100, help="exact copies planted, and as many resized ones")
    ap.add_argument("--workdir", help="reuse a library and index from an earlier run")
    ap.add_argument("--loose", action="store_true", help="also time --loose")
    ap.add_argument("--plain", action="store_true", help="plain low-detail originals (sky, wall) of random colours")
    ap.add_argument("--synthetic", type=int, metavar="N", help="N random fingerprints through the Catalog, no files")
    ap.add_argument("--catalog-only", action="store_true",
                    help="fill the catalog (rows, fingerprints) directly instead of `photofind index`")
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="pf-bench-dupes-"))
    lib, home = work / "library", work / "home"
    env = {**os.environ, "PHOTOFIND_HOME": str(home), "PHOTOFIND_STORE_CACHE_DIR": str(work / "cache"),
           "XDG_CONFIG_HOME": str(work / "config"), "PYTHONPATH": str(REPO),
           "PHOTOFIND_SERVER_AUTOSTART": "false"}  # dupes in the measured process: its own time and peak RSS
    if args.synthetic:
        started = time.perf_counter()
        fill_synthetic(home, args.synthetic, args.copies)
        args.count = args.synthetic
        log(f"{args.synthetic} synthetic fingerprints written in {time.perf_counter() - started:.0f} s")
    else:
        make_library(lib, args.count, args.copies, args.plain)
    if args.synthetic:
        pass
    elif args.catalog_only and (work / "catalog-filled").exists():
        log("catalog already filled by an earlier run in this --workdir: reused")
    elif args.catalog_only:
        started = time.perf_counter()
        fill_catalog(lib, home)
        (work / "catalog-filled").touch()  # a rerun times dupes alone
        log(f"catalog filled directly in {time.perf_counter() - started:.0f} s")
    else:
        took, rss, _ = run(env, "index", str(lib), "-m", "pixel", "-q")
        log(f"index: {took:.0f} s, peak RSS {rss / 2**20:.0f} MiB")
    results: dict[str, object] = {"originals": args.count, "planted_exact": args.copies,
                                  "planted_resized": args.copies, "workdir": str(work)}
    for name, extra in [("dupes", []), ("dupes --exact-only", ["--exact-only"])] + (
            [("dupes --loose", ["--loose"])] if args.loose else []):
        took, rss, out = run(env, "dupes", "-m", "pixel", "--json", *extra)
        groups = json.loads(out)["groups"]
        found = {"exact": 0, "resized": 0}
        false_merges = 0
        for g in groups:
            paths = [m["path"] for m in g["members"]]
            origins = {origin(p) for p in paths}
            false_merges += len(origins) > 1
            for p in paths:
                kind = Path(p).stem.split("_", 1)[0]
                if kind in found and sum(origin(q) == origin(p) for q in paths) > 1:
                    found[kind] += 1
        results[name] = {"seconds": round(took, 1), "peak_rss_mib": round(rss / 2**20), "groups": len(groups),
                         "exact_found": found["exact"], "resized_found": found["resized"],
                         "false_merges": false_merges}
        log(f"{name}: {results[name]}")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
