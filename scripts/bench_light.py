#!/usr/bin/env python3
"""The light install against the torch install, in ONE run (`python scripts/bench.py --light` runs it):

  (a) install: a fresh venv with `pip install -e .` (no extras), its wall time and size, that
      `import torch` fails there and no nvidia-* package came; the torch install's size (the
      environment running this script, or a fresh `pip install -e '.[torch]'` with --build-torch,
      timed too)
  (b) first run: `photofind index` of one photo from an empty cache: the download (over loopback,
      from a local stand-in hub), verification or export, and the first vector
  (c) images/s: `photofind index` of --count photos (the model cached)
  (d) start-up: `photofind like` on a photo not in the index, a fresh process, the model cached
(b)-(d) run the default model both ways: without torch, the ready ONNX files (Immich's layout);
with torch, open_clip's weights exported locally (model.runtime onnx), and run in torch.
The weights are ViT-B-32 with random weights (the real model's size and FLOPs; nothing can be
downloaded here), served by tests/fakehub.py as the hub would serve them. Run it with a Python
that has the torch extra (the export of the stand-in files needs torch).
Usage: python scripts/bench_light.py [--count 48] [--light-venv DIR] [--build-torch] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

READY_REPO = "immich-app/ViT-B-32__laion2b-s34b-b79k"
OPEN_CLIP_REPO = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"


def du(paths: list[Path]) -> int:
    seen: set[tuple[int, int]] = set()
    total = 0
    for root in paths:
        for dirpath, _, files in os.walk(root):
            for name in files:
                try:
                    st = os.lstat(os.path.join(dirpath, name))
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino))
                    total += st.st_blocks * 512
    return total


def env_site_dirs(python: str) -> list[Path]:
    """The environment's own folder plus every site-packages its sys.path reaches (.pth files)."""
    out = subprocess.run([python, "-c", "import sys, json; print(json.dumps([sys.prefix, *sys.path]))"],
                         capture_output=True, text=True, check=True).stdout
    prefix, *path = json.loads(out)
    dirs = {Path(prefix).resolve()}
    dirs |= {Path(p).resolve() for p in path if p.endswith("site-packages") and Path(p).is_dir()}
    return sorted(d for d in dirs if not any(d != o and o in d.parents for o in dirs))


def build_venv(target: Path, spec: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True)
    subprocess.run(["nice", "-n", "10", str(target / "bin" / "pip"), "install", "-q", "-e", spec], check=True,
                   cwd=tempfile.gettempdir())
    return time.perf_counter() - started


def hub_files(work: Path) -> dict[str, bytes]:
    """Random-weight ViT-B-32 as Immich's ready files and as open_clip's own weights file."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    from photofind.embedders.text_tokenizer import clip_bpe_tokenizer, open_clip_vocab
    from tests.immich_layout import export_immich_repo

    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32")
    files = export_immich_repo(model, open_clip.get_model_config("ViT-B-32"), READY_REPO,
                               clip_bpe_tokenizer(open_clip_vocab()).to_str(), {"pad_token": "<|endoftext|>"})
    weights = work / "open_clip_model.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    files[f"{OPEN_CLIP_REPO}/open_clip_model.safetensors"] = weights.read_bytes()
    return files


class Failed(Exception):
    pass


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise Failed(f"{' '.join(cmd[1:3])} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return took, done.stdout + done.stderr


def run_path(*args: object) -> dict[str, object]:
    """One path's figures, or what failed (a busy machine can miss the hub probe's 4 s bound)."""
    try:
        return _run_path(*args)  # type: ignore[arg-type]
    except Failed as exc:
        return {"failed": str(exc), "first_run_s": "-", "images_per_s": "-", "like_unindexed_s": "-"}


def _run_path(name: str, photofind: str, extra_env: dict[str, str], hub_url: str, work: Path,
             one: Path, library: Path, query: Path) -> dict[str, object]:
    home = work / f"run-{name}"
    shutil.rmtree(home, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PHOTOFIND_", "HF_"))}
    env.update(HF_HOME=str(home / "hf"), HF_ENDPOINT=hub_url, PHOTOFIND_HOME=str(home / "data"),
               PHOTOFIND_STORE_CACHE_DIR=str(home / "cache"), XDG_CONFIG_HOME=str(home / "cfg"),
               PHOTOFIND_SERVER_AUTOSTART="false", PHOTOFIND_MODEL="clip", **extra_env)
    first, _ = timed([photofind, "index", str(one)], env)
    took, out = timed([photofind, "index", str(library)], env)
    rate = re.search(r"\(([\d.]+) files/s\)", out)
    startup, _ = timed([photofind, "like", str(query), "-k", "1", "--paths"], env)
    count = len(list(library.glob("*.jpg")))
    return {"first_run_s": round(first, 1), "index_s": round(took, 1),
            "images_per_s": float(rate.group(1)) if rate else round(count / took, 2),
            "like_unindexed_s": round(startup, 2)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=48, help="photos for images/s (default 48)")
    p.add_argument("--size", default="1600x1200")
    p.add_argument("--light-venv", help="use this light venv instead of building one (install not timed)")
    p.add_argument("--build-torch", action="store_true", help="also build and time pip install -e '.[torch]'")
    p.add_argument("--workdir")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    from bench import photo
    from tests.helpers.fakehub import FakeHub

    work = Path(args.workdir or tempfile.mkdtemp(prefix="pf-bench-light-"))
    work.mkdir(parents=True, exist_ok=True)
    size = tuple(int(v) for v in args.size.split("x"))
    result: dict[str, object] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(), "count": args.count}

    # (a) install
    light = Path(args.light_venv) if args.light_venv else work / "venv-light"
    if not args.light_venv:
        shutil.rmtree(light, ignore_errors=True)
        result["light_install_s"] = round(build_venv(light, str(REPO)), 1)
    py = str(light / "bin" / "python")
    no_torch = subprocess.run([py, "-c", "import torch"], capture_output=True).returncode != 0
    listed = subprocess.run([py, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True).stdout
    names = [d["name"].lower() for d in json.loads(listed)]
    result.update(light_size_mb=round(du(env_site_dirs(py)) / 1e6), light_import_torch_fails=no_torch,
                  light_nvidia_packages=sum(n.startswith("nvidia") for n in names),
                  light_has=[n for n in names if n in ("torch", "torchvision", "triton", "open-clip-torch")])
    if args.build_torch:
        heavy = work / "venv-torch"
        shutil.rmtree(heavy, ignore_errors=True)
        result["torch_install_s"] = round(build_venv(heavy, f"{REPO}[torch]"), 1)
        torch_py = str(heavy / "bin" / "python")
    else:
        torch_py = sys.executable
    result["torch_size_mb"] = round(du(env_site_dirs(torch_py)) / 1e6)
    torch_list = subprocess.run([torch_py, "-m", "pip", "list", "--format", "json"], capture_output=True,
                                text=True).stdout
    torch_names = [d["name"].lower() for d in json.loads(torch_list)]
    result["torch_nvidia_packages"] = sum(n.startswith("nvidia") for n in torch_names)

    # (b)-(d)
    one, library, query = work / "one", work / "library", work / "query"
    for folder, n, seed in ((one, 1, 0), (library, args.count, 100), (query, 1, 9999)):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for i in range(n):
            photo(seed + i, size, 90, folder / f"p{i:04d}.jpg")  # type: ignore[arg-type]
    hub = FakeHub(hub_files(work))
    torch_photofind = str(Path(torch_py).parent / "photofind")
    try:
        result["ready_onnx_no_torch"] = run_path("light", str(light / "bin" / "photofind"), {}, hub.url, work,
                                                 one, library, query / "p0000.jpg")
        result["local_export_onnx_with_torch"] = run_path(
            "export", torch_photofind, {"PHOTOFIND_MODEL_RUNTIME": "onnx", "PHOTOFIND_MODEL_HUB_REPO": "local"},
            hub.url, work, one, library, query / "p0000.jpg")
        result["torch_runtime"] = run_path("torch", torch_photofind, {"PHOTOFIND_MODEL_RUNTIME": "torch"}, hub.url,
                                           work, one, library, query / "p0000.jpg")
    finally:
        hub.close()
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"light install (pip install -e ., no extras): {result.get('light_install_s', 'not timed')} s, "
          f"{result['light_size_mb']} MB, import torch fails: {no_torch}, nvidia-* packages: "
          f"{result['light_nvidia_packages']}")
    print(f"torch install: {result.get('torch_install_s', 'not timed (this environment)')} s, "
          f"{result['torch_size_mb']} MB, nvidia-* packages: {result['torch_nvidia_packages']}")
    print(f"{'path':34} {'first run s':>12} {'images/s':>9} {'like (unindexed) s':>19}")
    for key in ("ready_onnx_no_torch", "local_export_onnx_with_torch", "torch_runtime"):
        r = result[key]
        assert isinstance(r, dict)
        print(f"{key:34} {r['first_run_s']:>12} {r['images_per_s']:>9} {r['like_unindexed_s']:>19} "
              f"{r.get('failed', '')}")


if __name__ == "__main__":
    main()
