#!/usr/bin/env python3
"""How long a query command takes, whole, when a server answers it (the Typer command line with
its lazily loaded commands, photofind.cli.app), beside `python -c pass` and the server's socket
round trip as the floor, all in one run on one library.

The model is a tiny CLIP architecture with random weights, loaded through open_clip's own code
(no download; `search` needs a text tower): the server's share is milliseconds either way, and
what is measured is the command around it.

Usage: python scripts/bench_cli.py [--count 200] [--runs 21] [--json] [--baseline OTHER/.venv/bin/python]
(also: python scripts/bench.py --cli)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

PY = sys.executable


def library(root: Path, n: int) -> list[Path]:
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        path = root / f"album_{i % 10}" / f"photo_{i:05d}.jpg"
        path.parent.mkdir(exist_ok=True)
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        Image.fromarray(small).resize((320, 240), Image.Resampling.BICUBIC).save(path, quality=85)
        paths.append(path)
    return paths


TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


def tiny_clip(folder: Path) -> dict[str, str]:
    """Settings (as env) for a tiny random-weight CLIP saved to a local checkpoint."""
    import open_clip
    import torch

    config = folder / "pf-bench-clip.json"
    config.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    torch.save(open_clip.create_model("pf-bench-clip", pretrained=None).state_dict(), folder / "tiny.pt")
    return {"PHOTOFIND_MODEL": "clip", "PHOTOFIND_MODEL_CLIP_MODEL": "pf-bench-clip",
            "PHOTOFIND_MODEL_CLIP_CONFIG": str(config), "PHOTOFIND_MODEL_CHECKPOINT": str(folder / "tiny.pt")}


def wall(cmd: list[str], env: dict[str, str], runs: int, cpu: list[float] | None = None) -> list[float]:
    """Wall times of `runs` runs; `cpu` gets each run's CPU time (user + system), which a busy
    machine inflates far less than the wall time."""
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cpu is not None:
            cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return times


def round_trips(home: Path, query: Path, model: str, runs: int) -> dict[str, list[float]]:
    """The socket alone, from inside one process: a ping, and the `like` request itself."""
    from photofind.api.requests import LikeRequest, PingRequest
    from photofind.api.client import running_server
    from photofind.query.ranking import Ranking

    client = running_server(home)
    assert client is not None, "no server is running"
    like = LikeRequest(image=str(query), ranking=Ranking(10, "cosine", False), model=model)
    out: dict[str, list[float]] = {"ping": [], "like": []}
    for _ in range(runs):
        for name, request in (("ping", PingRequest()), ("like", like)):
            t = time.perf_counter()
            client.call(request)
            out[name].append(time.perf_counter() - t)
    return out


def summary(times: list[float], cpu: list[float] | None = None) -> dict[str, float]:
    ordered = sorted(times)
    out = {"p50_ms": statistics.median(ordered) * 1000, "p95_ms": ordered[int(0.95 * (len(ordered) - 1))] * 1000}
    if cpu:
        out["cpu_p50_ms"] = statistics.median(cpu) * 1000
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=200, help="photos in the library (default 200)")
    p.add_argument("--runs", type=int, default=21, help="runs per command (default 21)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--baseline", metavar="PYTHON", help="also time the same commands through another checkout's "
                   "Python (its venv's python, with its photofind installed), against the same server, "
                   "interleaved run by run with this one")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="pf-bench-cli-") as tmp:
        home = Path(tmp) / "home"
        env = {**os.environ, "PHOTOFIND_HOME": str(home), "PHOTOFIND_SERVER_AUTOSTART": "true",
               "PHOTOFIND_SERVER_IDLE_MINUTES": "30", "PHOTOFIND_STORE_CACHE_DIR": str(Path(tmp) / "cache"),
               "COLUMNS": "120", **tiny_clip(Path(tmp))}
        # As on a user's machine: Python caches compiled modules (this sandbox sets it off; 25 of
        # photofind's modules compiled from source cost ~15 ms a command).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        photos = library(Path(tmp) / "photos", args.count)
        subprocess.run([PY, "-m", "photofind", "index", str(Path(tmp) / "photos")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        os.environ.update(env)
        try:
            commands = {"like": ["like", str(photos[3]), "-k", "10"], "search": ["search", "a dog on the beach"],
                        "status": ["status"], "dupes": ["dupes"]}
            cpu: list[float] = []
            rows: dict[str, dict[str, float]] = {"python -c pass": summary(wall([PY, "-c", "pass"], env, args.runs, cpu), cpu)}
            for name, trips in round_trips(home, photos[3], "clip", args.runs).items():
                rows[f"socket round trip, {name}"] = summary(trips)
            pythons = {"": PY, " (baseline)": args.baseline} if args.baseline else {"": PY}
            for name, argv in commands.items():
                times: dict[str, tuple[list[float], list[float]]] = {tag: ([], []) for tag in pythons}
                for _ in range(args.runs):  # interleaved: both see the same moments of a busy machine
                    for tag, py in pythons.items():
                        times[tag][0].extend(wall([py, "-m", "photofind", *argv], env, 1, times[tag][1]))
                for tag, (w, c) in times.items():
                    rows[f"photofind {name}{tag}"] = summary(w, c)
        finally:
            subprocess.run([PY, "-c", "from photofind.api.client import running_server; from pathlib import Path; "
                            "from photofind.api.requests import StopRequest; "
                            f"c = running_server(Path({str(home)!r})); c and c.call(StopRequest())"], env=env)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    width = max(map(len, rows))
    print(f"{args.count} photos, tiny CLIP, a warm `photofind serve`; {args.runs} runs each; wall time of the whole command")
    for name, r in rows.items():
        cpu = f"   cpu p50 {r['cpu_p50_ms']:6.1f} ms" if "cpu_p50_ms" in r else ""
        print(f"{name:<{width}}  p50 {r['p50_ms']:6.1f} ms   p95 {r['p95_ms']:6.1f} ms{cpu}")


if __name__ == "__main__":
    main()
