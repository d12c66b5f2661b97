#!/usr/bin/env python3
"""photofind benchmark: indexing speed against the model's own ceiling, query latency, rescans.

Everything is measured in ONE run, on the same files and the same weights:
  (a) pure model throughput, batch 32, pre-decoded tensors: the ceiling
  (b) `photofind index` end to end (a subprocess, as a user runs it)
  (c) a tutorial-style baseline: one image at a time, full decode, batch 1
  (d) rescan of the unchanged library, and of --rescan-files tiny unchanged files
  (e) `photofind like` latency p50/p95: indexed image and unindexed image without the daemon,
      and both through `photofind watch`
  (f) peak RSS of the index process
  (g) model.runtime = onnx against torch, side by side (scripts/bench_runtimes.py)
`--cli` instead measures whole query commands through a warm server (scripts/bench_cli.py).
`--light` instead compares the light install (no torch) with the torch install (scripts/bench_light.py).
The library is deterministic synthetic photo-like JPEGs (default 4000x3000, quality 90). The model
is ViT-B-32 with random weights saved to a local checkpoint: it runs offline and has the real
model's FLOPs, so the speeds are the real model's. Sections (b)-(f) run with --runtime (default onnx, the default setting).
Usage: python scripts/bench.py [--count 96] [--runtimes onnx,torch] [--json]
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
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
# Runs a command, then prints its wall seconds and peak RSS (KB) as the last line of stderr.
LAUNCHER = ("import resource, subprocess, sys, time; t = time.perf_counter(); rc = subprocess.call(sys.argv[1:]); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
            "sys.exit(rc)")
sys.path.insert(0, str(HERE))
from bench_runtimes import compare_runtimes, runtime_table  # noqa: E402


def photo(seed: int, size: tuple[int, int], quality: int, path: Path) -> None:
    """A camera-like JPEG: smooth colour fields, shapes, and sensor-like noise (so JPEG sizes and
    decode costs resemble real 12 MP photos, ~3-5 MB at quality 90)."""
    rng = np.random.default_rng(seed)
    w, h = size
    coarse = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    im = Image.fromarray(coarse, "RGB").resize((w // 8, h // 8), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(im)
    for _ in range(12):
        x, y, r = rng.integers(0, w // 8), rng.integers(0, h // 8), rng.integers(10, h // 24)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
    big = np.asarray(im.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    big += rng.integers(-12, 13, big.shape, dtype=np.int16)
    Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(path, quality=quality)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = Path(args.workdir or tempfile.mkdtemp(prefix="photofind-bench-"))
        self.lib = self.work / "library"
        self.home = self.work / "home"
        self.results: dict[str, object] = {}
        self.env = {
            **os.environ,
            "PHOTOFIND_HOME": str(self.home),
            "PHOTOFIND_STORE_CACHE_DIR": str(self.work / "cache"),
            "PHOTOFIND_MODEL": "clip",
            "PHOTOFIND_MODEL_CLIP_MODEL": "ViT-B-32",
            "PHOTOFIND_MODEL_DEVICE": "cpu",
            "PHOTOFIND_MODEL_RUNTIME": args.runtime,
            "XDG_CONFIG_HOME": str(self.work / "config"),
            "HF_HUB_OFFLINE": "1",
        }

    def log(self, msg: str) -> None:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    def cli(self, *args: str, env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "photofind", *args], capture_output=True, text=True,
                              env=env or self.env, timeout=3600)
        took = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"photofind {' '.join(args)} failed:\n{done.stderr}")
        return took, done

    # -- set-up -------------------------------------------------------------------------------
    def make_library(self) -> None:
        w, h = (int(v) for v in self.args.size.split("x"))
        self.lib.mkdir(parents=True, exist_ok=True)
        self.log(f"generating {self.args.count} JPEGs of {w}x{h} at quality {self.args.quality}")
        for i in range(self.args.count):
            p = self.lib / f"IMG_{i:05d}.jpg"
            if not p.exists():
                photo(i, (w, h), self.args.quality, p)
        self.query_outside = self.work / "not-indexed.jpg"
        photo(10_000, (w, h), self.args.quality, self.query_outside)
        sizes = [p.stat().st_size for p in self.lib.iterdir()]
        self.results["library"] = {"files": len(sizes), "size": f"{w}x{h}", "quality": self.args.quality,
                                   "mean_mb": round(statistics.mean(sizes) / 1e6, 2)}

    def make_model(self) -> None:
        import open_clip
        import torch

        torch.manual_seed(0)
        self.model = open_clip.create_model("ViT-B-32", pretrained=None).eval()
        ckpt = self.work / "vit-b-32-random.pt"
        if not ckpt.exists():
            torch.save(self.model.state_dict(), ckpt)
        self.env["PHOTOFIND_MODEL_CHECKPOINT"] = str(ckpt)
        _, _, self.preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)

    # -- (a) and (c): in this process, the model alone ----------------------------------------
    def ceiling(self) -> None:
        import torch

        x = torch.randn(32, 3, 224, 224)
        with torch.inference_mode():
            self.model.encode_image(x)  # warm-up
            started = time.perf_counter()
            for _ in range(self.args.ceiling_batches):
                self.model.encode_image(x)
            took = time.perf_counter() - started
        self.results["a_model_ceiling_ips"] = 32 * self.args.ceiling_batches / took
        self.log(f"(a) model ceiling: {self.results['a_model_ceiling_ips']:.2f} images/s")

    def tutorial_baseline(self) -> None:
        import torch

        files = sorted(self.lib.iterdir())[: self.args.baseline_count]
        started = time.perf_counter()
        with torch.inference_mode():
            for p in files:  # open, decode fully, embed alone: the tutorial's loop
                image = Image.open(p).convert("RGB")
                self.model.encode_image(self.preprocess(image).unsqueeze(0))
        self.results["c_tutorial_baseline_ips"] = len(files) / (time.perf_counter() - started)
        self.log(f"(c) tutorial-style baseline: {self.results['c_tutorial_baseline_ips']:.2f} images/s")

    # -- (b) and (f): photofind index, a real subprocess --------------------------------------
    def _index_run(self, folder: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
        """Wall seconds and peak RSS (MB) of `photofind index folder` on a fresh store.

        A small launcher process starts it and reports its peak: Linux keeps a process's RSS
        high-water mark across exec, so a child forked straight from this (torch-laden) process
        would report this process's size instead of its own."""
        if self.home.exists():
            shutil.rmtree(self.home)
        done = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "photofind", "index", str(folder), "-q"],
                              env=env or self.env, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise SystemExit(f"photofind index failed: {done.stderr}")
        took, maxrss_kb = done.stderr.strip().splitlines()[-1].split()
        return float(took), float(maxrss_kb) / 1024

    def make_quarter(self) -> None:
        quarter = self.work / "quarter"
        quarter.mkdir(exist_ok=True)
        files = sorted(self.lib.iterdir())
        for p in files[: len(files) // 4]:
            if not (quarter / p.name).exists():
                os.link(p, quarter / p.name)

    def index(self) -> None:
        # A quarter of the library first, then all of it, each on a fresh store: both pay the same
        # start-up (imports, model load), so the difference is the steady indexing rate.
        quarter = self.work / "quarter"
        files = sorted(self.lib.iterdir())
        t_quarter, _ = self._index_run(quarter)
        took, rss = self._index_run(self.lib)
        n, n4 = len(files), len(files) // 4
        steady = (n - n4) / (took - t_quarter)
        self.results["b_index_ips"] = n / took
        self.results["b_index_seconds"] = took
        self.results["b_index_steady_ips"] = steady
        self.results["b_startup_seconds"] = took - n / steady
        self.results["f_index_peak_rss_mb"] = rss
        self.log(f"(b) photofind index: {n} files in {took:.1f} s = {n / took:.2f} images/s end to end; "
                 f"{steady:.2f} images/s after {took - n / steady:.1f} s of start-up; peak RSS {rss:.0f} MB")

    # -- (d) rescans --------------------------------------------------------------------------
    def rescan(self) -> None:
        took, _ = self.cli("reindex", "-q")
        self.results["d_rescan_library_s"] = took
        tiny_root = self.work / "tiny"
        n = self.args.rescan_files
        if n:
            self.log(f"(d) writing {n} tiny files for the rescan test")
            tiny = self.work / "tiny.jpg"
            Image.new("RGB", (8, 8), (10, 20, 30)).save(tiny)
            data = tiny.read_bytes()
            for i in range(n):
                folder = tiny_root / f"d{i // 1000:03d}"
                if i % 1000 == 0:
                    folder.mkdir(parents=True, exist_ok=True)
                (folder / f"t{i:06d}.jpg").write_bytes(data)
            env = {**self.env, "PHOTOFIND_HOME": str(self.work / "home-tiny")}
            self.cli("index", str(tiny_root), "-m", "pixel", "-q", env=env)  # one content: one vector
            took, _ = self.cli("reindex", "-m", "pixel", "-q", env=env)
            self.results["d_rescan_tiny_s"] = took
            self.results["d_rescan_tiny_files"] = n
        self.log(f"(d) rescan: library {self.results['d_rescan_library_s']:.2f} s, "
                 f"{n} tiny files {self.results.get('d_rescan_tiny_s', float('nan')):.2f} s")

    # -- (e) like latency ---------------------------------------------------------------------
    def like_runs(self, query: Path, runs: int) -> list[float]:
        return [self.cli("like", str(query), "--json")[0] for _ in range(runs)]

    def latency(self) -> None:
        indexed = self.lib / "IMG_00001.jpg"
        r = self.args.like_runs
        out: dict[str, dict[str, float]] = {}
        t = self.like_runs(indexed, r)
        out["indexed_no_daemon"] = {"p50": percentile(t, 50), "p95": percentile(t, 95)}
        t = self.like_runs(self.query_outside, max(2, r // 3))
        out["unindexed_no_daemon"] = {"p50": percentile(t, 50), "p95": percentile(t, 95)}
        log = open(self.work / "watch.log", "w")
        daemon = subprocess.Popen([sys.executable, "-m", "photofind", "watch"], env=self.env, stderr=log, stdout=log)
        try:
            deadline = time.time() + 300
            while "watching" not in (self.work / "watch.log").read_text() and time.time() < deadline:
                time.sleep(0.2)
            self.like_runs(self.query_outside, 1)  # the daemon loads its model once
            sys.path.insert(0, str(HERE.parent))
            from photofind.api.requests import LikeRequest
            from photofind.query.ranking import Ranking
            from photofind.api.client import running_server

            client = running_server(self.home)
            assert client is not None, "the watch daemon is not serving"
            t = []
            for _ in range(r):
                started = time.perf_counter()
                client.call(LikeRequest(image=str(indexed), ranking=Ranking(k=10), model="clip"))
                t.append(time.perf_counter() - started)
            out["daemon_round_trip"] = {"p50": percentile(t, 50), "p95": percentile(t, 95)}
            t = self.like_runs(indexed, r)
            out["indexed_daemon"] = {"p50": percentile(t, 50), "p95": percentile(t, 95)}
            t = self.like_runs(self.query_outside, r)
            out["unindexed_daemon"] = {"p50": percentile(t, 50), "p95": percentile(t, 95)}
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=120)
        self.results["e_like_seconds"] = out
        for k, v in out.items():
            self.log(f"(e) like {k}: p50 {v['p50'] * 1000:.0f} ms, p95 {v['p95'] * 1000:.0f} ms")

    def run(self) -> dict[str, object]:
        import platform

        import torch

        self.results["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads"
        self.make_library()
        self.make_quarter()
        self.make_model()
        self.ceiling()
        self.tutorial_baseline()
        if self.args.runtimes:
            compare_runtimes(self)  # first: it times the ONNX export, which (b) then finds in place
        del self.model  # free its memory before the subprocesses run
        if self.args.only_runtimes:
            return self.results
        self.index()
        self.rescan()
        self.latency()
        a, b, c = (self.results[k] for k in ("a_model_ceiling_ips", "b_index_ips", "c_tutorial_baseline_ips"))
        self.results["ratio_b_over_a"] = b / a  # type: ignore[operator]
        self.results["ratio_b_over_c"] = b / c  # type: ignore[operator]
        self.results["ratio_steady_over_a"] = self.results["b_index_steady_ips"] / a  # type: ignore[operator]
        return self.results


def table(r: dict) -> str:
    if "e_like_seconds" not in r:  # --only-runtimes
        return (f"machine  {r['machine']}\n(a) model ceiling, batch 32: {r['a_model_ceiling_ips']:.2f} images/s (torch)\n"
                f"(c) tutorial-style baseline: {r['c_tutorial_baseline_ips']:.2f} images/s" + runtime_table(r))
    e = r["e_like_seconds"]
    rows = [
        ("machine", r["machine"]),
        ("library", f"{r['library']['files']} JPEGs {r['library']['size']} q{r['library']['quality']}, {r['library']['mean_mb']} MB each"),
        ("(a) model ceiling, batch 32", f"{r['a_model_ceiling_ips']:.2f} images/s"),
        ("(b) photofind index, end to end", f"{r['b_index_ips']:.2f} images/s ({r['b_index_seconds']:.1f} s)"),
        ("(b) photofind index, after start-up", f"{r['b_index_steady_ips']:.2f} images/s (start-up {r['b_startup_seconds']:.1f} s)"),
        ("(c) tutorial-style baseline", f"{r['c_tutorial_baseline_ips']:.2f} images/s"),
        ("b / a (end to end; after start-up)", f"{r['ratio_b_over_a']:.2f}; {r['ratio_steady_over_a']:.2f}"),
        ("b / c", f"{r['ratio_b_over_c']:.2f}"),
        ("(d) rescan of the unchanged library", f"{r['d_rescan_library_s']:.2f} s"),
    ]
    if "d_rescan_tiny_s" in r:
        rows.append((f"(d) rescan of {r['d_rescan_tiny_files']:,} unchanged files", f"{r['d_rescan_tiny_s']:.2f} s"))
    for key, label in (("indexed_no_daemon", "indexed, no daemon"), ("unindexed_no_daemon", "not indexed, no daemon"),
                       ("indexed_daemon", "indexed, through the daemon"), ("unindexed_daemon", "not indexed, through the daemon"),
                       ("daemon_round_trip", "the daemon's socket round trip alone")):
        rows.append((f"(e) like, {label}", f"p50 {e[key]['p50'] * 1000:.0f} ms, p95 {e[key]['p95'] * 1000:.0f} ms"))
    rows.append(("(f) peak RSS of photofind index", f"{r['f_index_peak_rss_mb']:.0f} MB"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows) + runtime_table(r)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=96, help="library size (default 96)")
    p.add_argument("--size", default="4000x3000", help="image size WxH (default 4000x3000)")
    p.add_argument("--quality", type=int, default=90)
    p.add_argument("--baseline-count", type=int, default=16, help="images for the tutorial baseline")
    p.add_argument("--ceiling-batches", type=int, default=3)
    p.add_argument("--rescan-files", type=int, default=100_000, help="tiny files for the rescan test (0: skip)")
    p.add_argument("--like-runs", type=int, default=9)
    p.add_argument("--runtime", default="onnx", choices=("onnx", "torch"), help="model.runtime for (b)-(f)")
    p.add_argument("--runtimes", default="onnx,torch", help="runtimes compared in (g) ('' skips it)")
    p.add_argument("--only-runtimes", action="store_true", help="run (a), (c) and (g) only")
    p.add_argument("--workdir", help="keep files here (default: a new temp dir)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--watch-event", type=int, metavar="N",
                   help="only: one watch event on an N-photo catalog, this checkout beside --before REV "
                        "(scripts/bench_watch_event.py)")
    p.add_argument("--before", default="7c0e0da", help="with --watch-event: the older commit (default: before "
                   "the apply in proportion to the change)")
    p.add_argument("--cli", action="store_true", help="only: whole-command latency of like/status/dupes through a "
                   "warm server, beside python -c pass and the socket (scripts/bench_cli.py)")
    p.add_argument("--light", action="store_true", help="only: the light install against the torch install: size, "
                   "install time, first run, images/s, start-up (scripts/bench_light.py; extra arguments go to it)")
    args, rest = p.parse_known_args()
    if args.light:  # every other argument is bench_light's (some share a name with this script's)
        passed = [a for a in sys.argv[1:] if a != "--light"]
        raise SystemExit(subprocess.call([sys.executable, str(Path(__file__).with_name("bench_light.py")), *passed]))
    if rest:
        p.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.cli:
        raise SystemExit(subprocess.call([sys.executable, str(Path(__file__).with_name("bench_cli.py"))]))
    if args.watch_event:
        cmd = [sys.executable, str(Path(__file__).with_name("bench_watch_event.py")), "--n", str(args.watch_event),
               "--before", args.before]
        raise SystemExit(subprocess.call(cmd))
    results = Bench(args).run()
    print(json.dumps(results, indent=2) if args.json else table(results))


if __name__ == "__main__":
    main()
