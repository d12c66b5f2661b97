"""Special files in a photo folder, for real: FIFOs, sockets, a symlink to /dev/zero, dangling
symlinks and symlink loops, named like photos, in a folder followed by a real `photofind watch`
subprocess (real watchdog, real signals); and SIGTERM or Ctrl-C stopping `watch`, `serve` and
`web` within 10 s while a worker is stuck in a download from a hub that stalls (tests/fakehub.py,
a local stand-in for the Hugging Face hub).

Before photofind opened only regular files, a FIFO blocked a worker in open() for good: nothing
after it was indexed and only SIGKILL ended `watch`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest

from photofind.store.lock import StoreLock, read_owner
from tests.helpers.processes import Watch  # stopped by the autouse fixture in tests/conftest.py
from tests.helpers.fakehub import FakeHub
from tests.helpers.images import library, save, scene
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.slow
PY = sys.executable
REPO_ID = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"  # where open_clip gets the default CLIP weights

FIFO = "not a regular file (a FIFO)"
SOCKET = "not a regular file (a socket)"
DEVICE = "not a regular file (a character device)"
DANGLING = "dangling symlink (its target is not there)"
LOOP = "symlink loop"


def make_specials(folder: Path) -> tuple[list[str], socket.socket]:
    """One of each kind, named like photos; returns their paths and the bound socket (close it)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "fifo.jpg")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(folder / "socket.jpg"))
    (folder / "zero.jpg").symlink_to("/dev/zero")
    (folder / "dangling.jpg").symlink_to(folder / "no-such-photo.jpg")
    (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
    names = ["fifo.jpg", "socket.jpg", "zero.jpg", "dangling.jpg", "loop.jpg"]
    return [str(folder / n) for n in names], sock


def expected_reasons(folder: Path) -> dict[str, str]:
    return {str(folder / "fifo.jpg"): FIFO, str(folder / "socket.jpg"): SOCKET, str(folder / "zero.jpg"): DEVICE,
            str(folder / "dangling.jpg"): DANGLING, str(folder / "loop.jpg"): LOOP}


def test_watch_skips_special_files_made_while_it_runs_and_goes_on_indexing(tmp_path: Path, isolated_home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 2)
    w = Watch(isolated_home, root, tmp_path / "watch.log")
    sock = None
    try:
        wait_until(lambda: w.status()["files"] == 2, timeout=60, what="start-up scan")
        _, sock = make_specials(root / "odd")
        wait_until(lambda: sum(w.status()["skipped"].values()) == 5, timeout=30,
                   what="the five special files recorded as skipped")
        # a photo that comes after them is indexed: no worker is stuck
        save(scene(31), root / "after.jpg", quality=90)
        wait_until(lambda: w.status()["files"] == 3, timeout=30, what="a photo added after the special files")
        status = w.cli("status", "-m", "pixel", "--json")
        assert status.returncode == 0, status.stderr
        shown = json.loads(status.stdout)
        assert shown["skipped"] == {FIFO: 1, SOCKET: 1, DEVICE: 1, DANGLING: 1, LOOP: 1}
        table = w.cli("status", "-m", "pixel")
        for reason in (FIFO, SOCKET, DEVICE, DANGLING, LOOP):
            assert reason in table.stdout, table.stdout
        reindex = w.cli("reindex", "-m", "pixel")  # a job of the running watch: it used to hang
        assert reindex.returncode == 0, reindex.stderr
        assert "8 files seen, 8 unchanged" in reindex.stdout, reindex.stdout  # 3 photos, 5 special files
        # a special file taken away takes its row with it
        os.unlink(root / "odd" / "fifo.jpg")
        wait_until(lambda: sum(w.status()["skipped"].values()) == 4, timeout=30, what="the FIFO's row removed")
    finally:
        if sock is not None:
            sock.close()
        w.proc.send_signal(signal.SIGTERM)
        rc = w.proc.wait(timeout=60)  # a hang guard; how fast it stops is a benchmark's question
    assert rc == 0, w.log_text()


def test_index_and_the_start_up_scan_report_each_special_file_with_its_reason(tmp_path: Path, isolated_home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 2)
    _, sock = make_specials(root)
    try:
        env = {**os.environ, "COLUMNS": "250"}
        done = subprocess.run([PY, "-m", "photofind", "index", str(root), "-m", "pixel"], capture_output=True,
                              text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        for path, reason in expected_reasons(root).items():
            assert f"skipping {path}: {reason}" in done.stdout, done.stdout
        assert "2 embedded" in done.stdout
        again = subprocess.run([PY, "-m", "photofind", "index", str(root), "-m", "pixel"], capture_output=True,
                               text=True, env=env, timeout=120)
        assert again.returncode == 0 and "7 unchanged" in again.stdout, again.stdout  # recorded, not re-read
        # a query file that is a FIFO or a device is refused at once, by name
        for name, reason in (("fifo.jpg", FIFO), ("zero.jpg", DEVICE)):
            q = subprocess.run([PY, "-m", "photofind", "like", str(root / name), "-m", "pixel"], capture_output=True,
                               text=True, env=env, timeout=60)
            # one line naming the file (the symlink's target, as the CLI resolves query paths)
            assert q.returncode == 2 and q.stderr.endswith(f": {reason}\n") and q.stderr.count("\n") == 1, q.stderr
            assert q.stderr.startswith((f"photofind: {root / name}:", f"photofind: {os.path.realpath(root / name)}:"))
        # a photo replaced by a FIFO: skipped by the next start-up scan, its vector collected
        os.unlink(root / "photo_0000.jpg")
        os.mkfifo(root / "photo_0000.jpg")
        w = Watch(isolated_home, root, tmp_path / "watch.log")
        wait_until(lambda: w.status()["skipped"].get(FIFO) == 2, timeout=60, what="the start-up scan")
        assert w.status()["files"] == 1
        assert w.stop() == 0
    finally:
        sock.close()


# -- stopping while a worker is stuck -------------------------------------------------------------

@pytest.fixture
def stalled_hub(tmp_path: Path, isolated_home: Path) -> Iterator[tuple[FakeHub, dict[str, str]]]:
    """A hub that sends the default CLIP weights 64 KB every 2 s (a download of minutes), and the
    environment pointing at it with an empty Hugging Face cache."""
    hub = FakeHub({f"{REPO_ID}/open_clip_model.safetensors": bytes(8 * 2**20)}, piece=1 << 16, pause=2.0)
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")}
    # open_clip's own weights file: the torch extra's download path (the ready ONNX files' download
    # is tested in tests/test_ready_models.py); any download stuck in a worker will do here.
    env.update(HF_HOME=str(tmp_path / "hf"), HF_ENDPOINT=hub.url, PHOTOFIND_MODEL="clip", COLUMNS="250",
               PHOTOFIND_WEB_PORT="0", PHOTOFIND_MODEL_RUNTIME="torch")
    try:
        yield hub, env
    finally:
        hub.close()
        owner = read_owner(isolated_home / "photofind.lock")
        if owner.get("pid") and StoreLock(isolated_home).is_held_elsewhere():
            os.kill(owner["pid"], signal.SIGKILL)


def downloading(hub: FakeHub) -> bool:
    return any(m == "GET" and p.endswith("open_clip_model.safetensors") for m, p in hub.requests)


def downloaded(hub: FakeHub) -> bool:
    return any(p.endswith("open_clip_model.safetensors") for p in hub.sent)


@pytest.mark.parametrize("command,sig", [("watch", signal.SIGINT), ("serve", signal.SIGTERM), ("web", signal.SIGTERM)])
def test_a_signal_stops_the_server_while_a_worker_is_stuck_in_a_download(
    tmp_path: Path, isolated_home: Path, stalled_hub: tuple[FakeHub, dict[str, str]], command: str, sig: int
) -> None:
    hub, env = stalled_hub
    root = tmp_path / "photos"
    library(root, 2)
    log = open(tmp_path / "server.log", "ab")
    args = {"watch": ["watch", str(root)], "serve": ["serve"], "web": ["web", "--port", "0"]}[command]
    server = subprocess.Popen([PY, "-m", "photofind", *args], stdout=log, stderr=subprocess.STDOUT, env=env)
    client = None
    try:
        if command != "watch":  # an index job asks the server for the model, which it downloads
            wait_until(lambda: read_owner(isolated_home / "photofind.lock").get("socket") is not None, timeout=60,
                       what=f"{command} up")
            client = subprocess.Popen([PY, "-m", "photofind", "index", str(root)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env={**env, "PHOTOFIND_SERVER_AUTOSTART": "true"})
        wait_until(lambda: downloading(hub), timeout=60, what="the weights' download under way")
        time.sleep(0.5)
        assert server.poll() is None
        server.send_signal(sig)
        try:  # the download needs minutes more: a server that waited for it would still run
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        assert server.returncode is not None and not downloaded(hub), \
            f"{command} still ran after {signal.Signals(sig).name}:\n" + \
            (tmp_path / "server.log").read_text(errors="replace")
        assert not StoreLock(isolated_home).is_held_elsewhere()  # the lock went with it
    finally:
        for proc in (server, client):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        log.close()
