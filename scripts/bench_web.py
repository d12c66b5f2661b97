#!/usr/bin/env python3
"""photofind web benchmark: HTTP latency on a warm server, against the socket round trip in the
same run.

One synthetic library (photo-like JPEGs, default 48 of 1600x1200 plus one 4000x3000 = 12 MP),
indexed with the `pixel` model, then:
  1. `photofind watch --web`: the same query by an indexed photo through the daemon's socket
     (photofind.api.client, the request layer's wire) and through HTTP (/api/search JSON and the HTML
     page); a cached thumbnail (200, and 304 on If-None-Match); the first thumbnail of the
     12 MP JPEG (its cache file deleted before each try);
  2. `photofind web` owning the store itself: the same HTTP figures.
HTTP goes over one keep-alive connection (http.client), as a browser's does.
Usage: python scripts/bench_web.py [--count 48] [--runs 40] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench import photo  # noqa: E402  (the same camera-like JPEGs as scripts/bench.py)


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p95(samples: list[float]) -> float:
    return sorted(samples)[int(0.95 * (len(samples) - 1))] * 1000


def timed(fn: Callable[[], object], runs: int, before: Callable[[], object] | None = None) -> list[float]:
    out = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


class Http:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers=headers or {})
        res = self.conn.getresponse()
        body = res.read()
        if res.status not in (200, 304):
            raise SystemExit(f"GET {path}: {res.status} {body[:200]!r}")
        return res.status, body


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.workdir or tempfile.mkdtemp(prefix="photofind-bench-web-"))
        self.lib = self.work / "library"
        self.home = self.work / "home"
        self.cache = self.work / "cache"
        self.env = {**os.environ, "PHOTOFIND_HOME": str(self.home), "PHOTOFIND_STORE_CACHE_DIR": str(self.cache),
                    "PHOTOFIND_MODEL": "pixel", "XDG_CONFIG_HOME": str(self.work / "config"), "HF_HUB_OFFLINE": "1"}
        self.results: dict[str, dict[str, float]] = {}

    def log(self, msg: str) -> None:
        print(f"[bench-web] {msg}", file=sys.stderr, flush=True)

    def setup(self) -> None:
        self.lib.mkdir(parents=True, exist_ok=True)
        w, h = (int(v) for v in self.args.size.split("x"))
        self.log(f"generating {self.args.count} JPEGs of {w}x{h} and one of 4000x3000")
        for i in range(self.args.count):
            photo(i, (w, h), 90, self.lib / f"IMG_{i:05d}.jpg")
        self.big = self.lib / "IMG_12MP.jpg"
        photo(99_999, (4000, 3000), 90, self.big)
        subprocess.run([sys.executable, "-m", "photofind", "index", str(self.lib), "-q"], env=self.env, check=True)
        self.query = self.lib / "IMG_00001.jpg"
        self.query_hash = hashlib.sha256(self.query.read_bytes()).hexdigest()
        self.big_hash = hashlib.sha256(self.big.read_bytes()).hexdigest()

    def start(self, *args: str) -> tuple[subprocess.Popen[bytes], str]:
        log = open(self.work / f"{args[0]}.log", "wb")
        proc = subprocess.Popen([sys.executable, "-m", "photofind", *args, "--port", "0"], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            text = (self.work / f"{args[0]}.log").read_text()
            found = re.search(r"(?:photofind web: |web page: )(http://\S+)", text)
            if found:
                return proc, found.group(1)
            if proc.poll() is not None:
                raise SystemExit(f"photofind {' '.join(args)} exited:\n{text}")
            time.sleep(0.1)
        raise SystemExit(f"photofind {' '.join(args)} did not serve")

    def http_figures(self, label: str, url: str) -> None:
        client = Http(url)
        runs = self.args.runs
        like = f"/api/search?like={self.query_hash}&k=24"
        for _ in range(3):
            client.get(like)  # warm: Chroma's index, the thread pool, the connection
        thumb = f"/thumb/{self.big_hash}/256"
        from photofind.store.thumbnails import thumb_path

        cached = thumb_path(self.cache, self.big_hash, 256)
        r = self.results
        r[f"{label}: query by an indexed photo, HTTP JSON"] = self.stats(timed(lambda: client.get(like), runs))
        r[f"{label}: query by an indexed photo, HTTP page"] = self.stats(
            timed(lambda: client.get(f"/?like={self.query_hash}"), runs))
        r[f"{label}: first thumbnail of a 12 MP JPEG"] = self.stats(
            timed(lambda: client.get(thumb), max(5, runs // 5), before=lambda: cached.unlink(missing_ok=True)))
        r[f"{label}: cached thumbnail (200)"] = self.stats(timed(lambda: client.get(thumb), runs))
        etag = {"If-None-Match": f'"{self.big_hash}-256"'}
        r[f"{label}: cached thumbnail (304)"] = self.stats(timed(lambda: client.get(thumb, etag), runs))

    def stats(self, samples: list[float]) -> dict[str, float]:
        return {"p50_ms": round(p50(samples), 2), "p95_ms": round(p95(samples), 2), "n": len(samples)}

    def run(self) -> dict[str, dict[str, float]]:
        self.setup()
        from photofind.api.requests import LikeRequest, LikeStoredRequest
        from photofind.api.client import running_server

        daemon, url = self.start("watch", str(self.lib), "--web")
        try:
            client = running_server(self.home)
            assert client is not None, "the watch daemon is not serving"
            stored = LikeStoredRequest(hash=self.query_hash, model="pixel")
            for _ in range(3):
                client.call(stored)
            runs = self.args.runs
            self.results["watch --web: socket round trip, like-stored"] = self.stats(
                timed(lambda: client.call(stored), runs))
            by_path = LikeRequest(image=str(self.query), model="pixel")
            self.results["watch --web: socket round trip, like (path)"] = self.stats(
                timed(lambda: client.call(by_path), runs))
            self.http_figures("watch --web", url)
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        web, url = self.start("web")
        try:
            self.http_figures("web (owns the store)", url)
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=60)
        return self.results


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=48, help="library size besides the 12 MP photo (default 48)")
    p.add_argument("--size", default="1600x1200", help="their size WxH (default 1600x1200)")
    p.add_argument("--runs", type=int, default=40, help="requests per figure (default 40)")
    p.add_argument("--workdir", help="keep files here (default: a new temp dir)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args()
    bench = Bench(args)
    try:
        results = bench.run()
    finally:
        if not args.workdir:
            shutil.rmtree(bench.work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    width = max(map(len, results))
    for name, s in results.items():
        print(f"{name:<{width}}  p50 {s['p50_ms']:7.2f} ms  p95 {s['p95_ms']:7.2f} ms  (n={s['n']})")


if __name__ == "__main__":
    main()
