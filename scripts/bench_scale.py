"""photofind at library scale: N generated photos (with planted exact and resized copies),
indexed with the `pixel` model through the real CLI and its on-demand server, then every
command timed. Prints one table; all figures come from this one run.

    .venv/bin/python scripts/bench_scale.py --n 5000          # a few minutes
    .venv/bin/python scripts/bench_scale.py --n 100000        # the README's run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PER_FOLDER = 100


def generate(root: Path, n: int, copies: int) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """n distinct small JPEGs (a random 4x5 colour field, smoothly upscaled, like a blurry photo),
    in folders of PER_FOLDER; then `copies` exact and `copies` resized copies of random ones."""
    rng = np.random.default_rng(0)
    photos = []
    for i in range(n):
        folder = root / f"album{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            folder.mkdir(parents=True, exist_ok=True)
        im = Image.fromarray(rng.integers(0, 256, (4, 5, 3), dtype=np.uint8), "RGB")
        path = folder / f"img{i:06d}.jpg"
        im.resize((64, 48), Image.Resampling.BILINEAR).save(path, quality=90)
        photos.append(path)
    planted = []
    picks = rng.choice(n, 2 * copies, replace=False)
    extra = root / "copies"
    extra.mkdir()
    for j, i in enumerate(picks):
        original = photos[i]
        if j < copies:
            dest = extra / f"exact{j:04d}.jpg"
            shutil.copy(original, dest)
        else:
            dest = extra / f"resized{j:04d}.jpg"
            Image.open(original).resize((48, 36), Image.Resampling.LANCZOS).save(dest, quality=85)
        planted.append((original, dest))
    return photos, planted


class Bench:
    def __init__(self, work: Path) -> None:
        self.home = work / "home"
        self.env = {**os.environ, "PHOTOFIND_HOME": str(self.home), "PHOTOFIND_MODEL": "pixel",
                    "PHOTOFIND_SERVER_AUTOSTART": "true", "PHOTOFIND_STORE_CACHE_DIR": str(work / "cache"),
                    "XDG_CONFIG_HOME": str(work / "cfg"), "COLUMNS": "200"}
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: compiled modules cached
        self.rows: list[tuple[str, str]] = []

    def cli(self, *args: str, check: bool = True, timeout: float | None = None
            ) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.perf_counter()
        res = subprocess.run([sys.executable, "-m", "photofind", *args], capture_output=True, text=True, env=self.env,
                             timeout=timeout)
        took = time.perf_counter() - started
        if check and res.returncode != 0:
            raise SystemExit(f"photofind {' '.join(args)} failed: {res.stderr.strip()}")
        return took, res

    def row(self, what: str, figure: str) -> None:
        self.rows.append((what, figure))
        print(f"  {what}: {figure}", flush=True)

    def server_pid(self) -> int | None:
        from photofind.store.lock import StoreLock, read_owner

        owner = read_owner(self.home / "photofind.lock")
        return owner.get("pid") if StoreLock(self.home).is_held_elsewhere() else None

    def stop_server(self) -> None:
        self.cli("serve", "--stop", check=False)

    def client(self):  # type: ignore[no-untyped-def]
        from photofind.api.client import running_server

        return running_server(self.home)


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def p50(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--copies", type=int, default=0, help="planted exact and resized copies each (default n/500)")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--dupes-minutes", type=float, default=0, help="give dupes this long, then go on (0: no limit)")
    args = p.parse_args()
    copies = args.copies or max(10, args.n // 500)
    from photofind.api.requests import LikeRequest
    from photofind.query.ranking import Ranking

    with tempfile.TemporaryDirectory(prefix="pf-scale-") as tmp:
        work = Path(tmp)
        b = Bench(work)
        root = work / "photos"
        started = time.perf_counter()
        photos, planted = generate(root, args.n, copies)
        print(f"generated {args.n:,} photos + {2 * copies} copies in {time.perf_counter() - started:.0f} s", flush=True)

        # index files/s as the store grows: the folders in three steps (10 %, 50 %, 100 %)
        folders = sorted(d for d in root.iterdir() if d.name.startswith("album"))
        done = 0
        for share in (0.1, 0.5, 1.0):
            upto = max(1, int(len(folders) * share))
            part = folders[done:upto]
            took, _ = b.cli("index", *map(str, part), "-q")
            files = len(part) * PER_FOLDER
            b.row(f"index {done * PER_FOLDER:,}-{upto * PER_FOLDER:,}", f"{files / took:.0f} files/s")
            done = upto
        b.cli("index", str(root / "copies"), "-q")
        # then the whole folder, as a user would: `watch` follows the album roots through it
        # (one inotify instance, not one per album; the machine allows 128)
        took, _ = b.cli("index", str(root), "-q")
        b.row("index the parent folder, all of it indexed already", f"{took:.2f} s")
        took, _ = b.cli("reindex", "-q")
        b.row("rescan, nothing changed (warm server)", f"{took:.2f} s")
        pid = b.server_pid()
        assert pid is not None

        query = str(photos[1])
        b.stop_server()
        took, _ = b.cli("like", query, "-k", "10")
        b.row("first like, no server running (starts it)", f"{took:.2f} s")
        warm = [b.cli("like", query, "-k", "10")[0] for _ in range(10)]
        b.row("like, warm server (p50 of 10)", p50(warm))
        took, _ = b.cli("like", query, "-k", "10", "--metric", "l1")
        b.row("like --metric l1 (exact scan)", f"{took:.2f} s")
        status = [b.cli("status")[0] for _ in range(5)]
        b.row("status, warm server (p50 of 5)", p50(status))
        # recall@10 of the index against an exact scan, and planted copies in the top 10
        client = b.client()
        rng = np.random.default_rng(1)
        hits, found = [], 0
        for i in rng.choice(len(photos), min(args.queries, len(photos)), replace=False):
            ask = lambda exact: client.call(LikeRequest(image=str(photos[i]), ranking=Ranking(k=10, exact=exact)))
            approx = {m["hash"] for m in ask(False)["matches"]}
            exact = {m["hash"] for m in ask(True)["matches"]}
            hits.append(len(approx & exact) / max(1, len(exact)))
        for original, copy in planted:
            top = client.call(LikeRequest(image=str(original), ranking=Ranking(k=10)))["matches"]
            found += any(m["path"] == str(copy) for m in top)
        b.row("recall@10 vs exact scan", f"{np.mean(hits):.4f} ({len(hits)} queries)")
        b.row("planted copies in their original's top 10", f"{found}/{len(planted)}")
        pid = b.server_pid()
        b.row("server peak RSS", f"{peak_rss_mb(pid):.0f} MB" if pid else "n/a")
        b.stop_server()
        took, _ = b.cli("--no-server", "status")
        b.row("status, no server", f"{took:.2f} s")

        # a new photo, copied in while `watch` runs, until `like` finds it
        log = open(work / "watch.log", "w")
        watch = subprocess.Popen([sys.executable, "-m", "photofind", "watch"], env=b.env, stdout=log,
                                 stderr=subprocess.STDOUT)
        try:
            while "watching" not in (work / "watch.log").read_text():
                time.sleep(0.2)
            while b.client() is None:
                time.sleep(0.1)
            # once right after `watch` starts (its start-up rescan and id listing still running),
            # once it says it is up to date
            for n, when in enumerate(("copied right after watch started", "copied once watch is up to date")):
                if n:
                    while "up to date" not in (work / "watch.log").read_text():
                        time.sleep(0.2)
                fresh = root / "album0000" / f"fresh{n}.jpg"
                noise = np.random.default_rng(1000 + n).integers(0, 256, (48, 64, 3), dtype=np.uint8)
                Image.fromarray(noise, "RGB").save(work / f"fresh{n}.jpg")  # like no photo in the library
                shutil.copy(work / f"fresh{n}.jpg", fresh)
                copied = time.perf_counter()
                client = b.client()
                while True:
                    ask = LikeRequest(image=str(work / f"fresh{n}.jpg"), ranking=Ranking(k=1))
                    top = client.call(ask)["matches"]
                    if top and top[0]["path"] == str(fresh):
                        break
                    time.sleep(0.05)
                b.row(f"a new photo findable after its copy ({when}; settle 2 s)",
                      f"{time.perf_counter() - copied:.1f} s")
        finally:
            watch.send_signal(signal.SIGTERM)
            watch.wait(timeout=300)
        # dupes last: on these crowded generated photos it may need its time limit, and a server
        # killed at the limit must not disturb the rows above
        try:
            took, _ = b.cli("dupes", "--json", timeout=args.dupes_minutes * 60 if args.dupes_minutes else None)
            b.row("dupes (its own server, started for it)", f"{took:.1f} s")
        except subprocess.TimeoutExpired:
            b.row("dupes (its own server, started for it)", f"not finished in {args.dupes_minutes:g} min")
            pid = b.server_pid()  # still at it, holding the store
            if pid:
                os.kill(pid, signal.SIGKILL)
        print("\n| what | measured |\n|---|---|")
        for what, figure in b.rows:
            print(f"| {what} | {figure} |")
        print(json.dumps({"n": args.n, "rows": b.rows}))


if __name__ == "__main__":
    main()
