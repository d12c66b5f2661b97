"""The installed `photofind` command in real subprocesses: import cost and crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from photofind.store.store import Store
from tests.helpers.images import library
from tests.helpers.waiting import catalog_rows

PHOTOFIND = [sys.executable, "-m", "photofind"]


def run(*args: str, extra: list[str] | None = None, timeout: float = 120,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PHOTOFIND[:1], *(extra or []), *PHOTOFIND[1:], *args],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


def imported_modules(importtime_stderr: str) -> set[str]:
    # -X importtime lines: "import time: self | cumulative | module"
    return {line.rsplit("|", 1)[1].strip() for line in importtime_stderr.splitlines() if line.startswith("import time:")}


@pytest.mark.slow
def test_like_on_an_indexed_image_imports_no_model(tmp_path: Path, tiny_clip_env: dict[str, str]) -> None:
    root = tmp_path / "photos"
    files = library(root, 6)
    done = run("index", str(root))
    assert done.returncode == 0, done.stderr
    assert "embedded with clip-pf-tiny-clip" in done.stdout

    res = run("like", str(files[2]), "--json", extra=["-X", "importtime"])
    assert res.returncode == 0, res.stderr[-2000:]
    modules = imported_modules(res.stderr)
    assert "chromadb" in modules  # the proof works: we do see what was imported
    assert not {m for m in modules if m.split(".")[0] in ("torch", "open_clip", "torchvision", "timm")}

    # An image that is not indexed does need the model: the ONNX export that `index` left in the
    # cache, run by ONNX Runtime, without torch.
    other = library(tmp_path / "elsewhere", 1, start=50)[0]
    res = run("like", str(other), "--json", extra=["-X", "importtime"])
    assert res.returncode == 0, res.stderr[-2000:]
    modules = imported_modules(res.stderr)
    assert "onnxruntime" in modules
    assert not {m for m in modules if m.split(".")[0] in ("torch", "open_clip", "torchvision", "timm")}

    # With model.runtime = torch the same command runs open_clip.
    res = run("like", str(other), "--json", extra=["-X", "importtime"], env={"PHOTOFIND_MODEL_RUNTIME": "torch"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert "open_clip" in imported_modules(res.stderr)


@pytest.mark.slow
def test_index_and_search_with_the_export_in_place_import_no_torch(tmp_path: Path, tiny_clip_env: dict[str, str]) -> None:
    library(tmp_path / "a", 2)
    first = run("index", str(tmp_path / "a"))
    assert first.returncode == 0, first.stderr  # this run exports (and imports torch once)
    library(tmp_path / "b", 3, start=20)
    res = run("index", str(tmp_path / "b"), extra=["-X", "importtime"])
    assert res.returncode == 0, res.stderr[-2000:]
    assert "3 embedded" in res.stdout
    modules = imported_modules(res.stderr)
    assert "onnxruntime" in modules and "chromadb" in modules
    assert not {m for m in modules if m.split(".")[0] in ("torch", "open_clip", "torchvision", "timm")}
    res = run("search", "a red disc", "--json", extra=["-X", "importtime"])
    assert res.returncode == 0, res.stderr[-2000:]
    assert not {m for m in imported_modules(res.stderr) if m.split(".")[0] in ("torch", "open_clip", "timm")}


@pytest.mark.slow
def test_killed_mid_run_then_rerun_leaves_a_consistent_store(tmp_path: Path, isolated_home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 900, size=(96, 72))
    proc = subprocess.Popen([*PHOTOFIND, "index", str(root), "-m", "pixel", "--batch-size", "2", "-q"],
                            env=os.environ.copy())
    db = isolated_home / "catalog.sqlite"
    deadline = time.monotonic() + 60
    while catalog_rows(db) < 40 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    assert proc.poll() is None, "index finished before it could be interrupted; make the library bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = catalog_rows(db)
    assert 0 < partial < 900

    with Store(isolated_home, "check") as store:  # the killed owner's lock is gone with it
        referenced = store.catalog.referenced_hashes()
        ids = store.vectors("pixel-32", "cosine").ids()
        assert referenced <= ids  # no row points at a missing vector

    rerun = run("index", str(root), "-m", "pixel")
    assert rerun.returncode == 0, rerun.stderr
    with Store(isolated_home, "check") as store:
        referenced = store.catalog.referenced_hashes()
        ids = store.vectors("pixel-32", "cosine").ids()
        assert referenced == ids and len(ids) == 900  # complete, no duplicates, no orphans
        assert store.catalog.counts()[0] == 900


@pytest.mark.slow
def test_status_without_a_server_never_opens_chroma(tmp_path: Path) -> None:
    library(tmp_path / "photos", 3)
    assert run("index", str(tmp_path / "photos"), "-m", "pixel").returncode == 0
    res = run("status", "-m", "pixel", "--json", extra=["-X", "importtime"])
    assert res.returncode == 0, res.stderr[-2000:]
    assert "chromadb" not in imported_modules(res.stderr)  # counts and collections come from the catalog
    data = json.loads(res.stdout)
    assert [(c["model"], c["vectors"]) for c in data["collections"]] == [("pixel-32", 3)]
    assert data["collections"][0]["hnsw"]["max_neighbors"] > 0
