"""bench.py section (g): model.runtime = onnx against torch, in one run, on the same files and
weights. For each runtime: start-up (a one-photo `photofind index` on a fresh store: process
start, imports, model load, one embed, one write), peak RSS and steady images/s of the full
index, `like` with an unindexed photo and `search "words"` without the daemon, and the daemon's
RSS when idle after it has answered one of each. ONNX first runs once to export (timed apart);
then both models alone are timed like (a), batch 32 on the same tensors, alternating."""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def model_alone(bench: Any, cache: Path, batches: int, rounds: int = 3) -> dict[str, float]:
    """Images/s of the model alone at batch 32 on the same random tensors: torch's model (the
    bench's) and the ONNX export under ONNX Runtime, alternating, best round of each."""

    import torch

    from photofind.embedders.onnx_runtime import make_session

    (image,) = cache.glob("onnx/*/image.onnx")
    session = make_session(image, ["CPUExecutionProvider"])  # as photofind opens it
    x = np.random.default_rng(0).standard_normal((32, 3, 224, 224)).astype(np.float32)
    runners = {"onnx": lambda: session.run(None, {"pixels": x}), "torch": lambda: bench.model.encode_image(torch.from_numpy(x))}
    best = {name: 0.0 for name in runners}
    with torch.inference_mode():
        for run in runners.values():
            run()  # warm-up
        for _ in range(rounds):
            for name, run in runners.items():
                started = time.perf_counter()
                for _ in range(batches):
                    run()
                best[name] = max(best[name], 32 * batches / (time.perf_counter() - started))
    return best


def daemon_idle_rss(bench: Any, env: dict[str, str], query: Path) -> float:
    log_path = bench.work / f"watch-{env['PHOTOFIND_MODEL_RUNTIME']}.log"
    with open(log_path, "w") as log:
        daemon = subprocess.Popen([sys.executable, "-m", "photofind", "watch"], env=env, stderr=log, stdout=log)
    try:
        deadline = time.time() + 300
        while "watching" not in log_path.read_text() and time.time() < deadline:
            time.sleep(0.2)
        bench.cli("like", str(query), "--json", env=env)  # the daemon loads the image tower
        bench.cli("search", "a red ball on grass", "--json", env=env)  # and the text tower
        time.sleep(3)
        return rss_mb(daemon.pid)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=120)


def compare_runtimes(bench: Any) -> None:
    """Each measure runs every runtime in turn (repeats alternate), so a neighbour's load on a
    shared machine falls on both columns alike."""
    import shutil

    files = sorted(bench.lib.iterdir())
    one, quarter = bench.work / "one", bench.work / "quarter"
    one.mkdir(exist_ok=True)
    if not (one / files[0].name).exists():
        os.link(files[0], one / files[0].name)
    runs = max(3, bench.args.like_runs // 3)
    names = bench.args.runtimes.split(",")
    envs = {rt: {**bench.env, "PHOTOFIND_MODEL_RUNTIME": rt} for rt in names}
    out: dict[str, dict[str, Any]] = {rt: {} for rt in names}
    if "onnx" in names:
        shutil.rmtree(bench.work / "cache" / "onnx", ignore_errors=True)
        out["onnx"]["export_run_s"], out["onnx"]["export_run_rss_mb"] = bench._index_run(one, envs["onnx"])
        for rt, ips in model_alone(bench, bench.work / "cache", bench.args.ceiling_batches).items():
            out[rt]["model_alone_ips"] = ips
    samples: dict[str, dict[str, list[float]]] = {rt: {"first": [], "like": [], "search": []} for rt in names}
    for _ in range(runs):
        for rt in names:
            samples[rt]["first"].append(bench._index_run(one, envs[rt])[0])
    n, n4 = len(files), len(files) // 4
    for rt in names:
        t_quarter, _ = bench._index_run(quarter, envs[rt])
        took, rss = bench._index_run(bench.lib, envs[rt])
        out[rt].update(index_s=took, index_peak_rss_mb=rss, steady_ips=(n - n4) / (took - t_quarter))
    # The store now holds the whole library (the last index run): like and search query it.
    for _ in range(runs):
        for rt in names:
            samples[rt]["like"].append(bench.cli("like", str(bench.query_outside), "--json", env=envs[rt])[0])
            samples[rt]["search"].append(bench.cli("search", "a red ball on grass", "--json", env=envs[rt])[0])
    for rt in names:
        out[rt]["daemon_idle_rss_mb"] = daemon_idle_rss(bench, envs[rt], bench.query_outside)
        for key, label in (("first", "first_image_s"), ("like", "like_unindexed_s"), ("search", "search_s")):
            out[rt][label] = statistics.median(samples[rt][key])
            out[rt][label + "_all"] = samples[rt][key]
        bench.log(f"(g) {rt}: " + ", ".join(f"{k} {v:.2f}" for k, v in out[rt].items() if isinstance(v, float)))
    bench.results["g_runtimes"] = out


ROWS = (
    ("export_run_s", "one-time export run (index of 1 photo, export included)", "{:.1f} s"),
    ("export_run_rss_mb", "peak RSS of that export run", "{:.0f} MB"),
    ("model_alone_ips", "model alone, batch 32, pre-decoded, best of 3 alternating", "{:.2f} images/s"),
    ("first_image_s", "start-up: `index` of 1 photo on a fresh store, median", "{:.2f} s"),
    ("index_s", "`index` of the library, end to end", "{:.1f} s"),
    ("steady_ips", "`index`, steady images/s after start-up", "{:.2f} images/s"),
    ("index_peak_rss_mb", "peak RSS of `index`", "{:.0f} MB"),
    ("like_unindexed_s", "`like` with an unindexed photo, no daemon, median", "{:.2f} s"),
    ("search_s", "`search \"words\"`, no daemon, median", "{:.2f} s"),
    ("daemon_idle_rss_mb", "daemon RSS, idle, both towers loaded", "{:.0f} MB"),
)


def runtime_table(r: dict[str, Any]) -> str:
    g = r.get("g_runtimes")
    if not g:
        return ""
    names = list(g)
    lines = ["", "(g) " + " | ".join(["measure", *names])]
    for key, label, fmt in ROWS:
        cells = [fmt.format(g[n][key]) if key in g[n] else "-" for n in names]
        lines.append(f"    {label} | " + " | ".join(cells))
    return "\n".join(lines)
