"""The first CLIP run, for real: the CLI in a subprocess, huggingface_hub pointed (HF_ENDPOINT)
at an address that refuses connections, or at a local stand-in for the hub (tests/helpers/fakehub.py),
with an empty Hugging Face cache (HF_HOME in tmp).

Not exercised here: the real hub and its CDN, Xet-stored files (hf_xet's transfer path), and a
network that drops packets instead of refusing them (the probe's time bound is tested alone in
tests/unit/test_private_and_weights.py). The stand-in serves bytes that are not CLIP weights, so
after the download open_clip fails to read them: that is the error the download tests expect."""

from __future__ import annotations

import os
import pty
import re
import signal
import struct
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from photofind.store.lock import StoreLock, read_owner
from tests.helpers.fakehub import COMMIT, FakeHub, refused_url
from tests.helpers.images import library
from tests.helpers.terminals import read_pty

pytestmark = pytest.mark.slow
PY = sys.executable
REPO_ID = "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"  # where open_clip gets ViT-B-32 laion2b_s34b_b79k
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    library(tmp_path / "photos", 2)
    return tmp_path / "photos"


@pytest.fixture
def hub_env(tmp_path: Path, isolated_home: Path) -> Iterator[dict[str, str]]:
    """The suite's environment with the hub switched back on (conftest sets HF_HUB_OFFLINE) and
    an empty cache; any server a test starts is killed at its end."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")}
    yield {**env, "HF_HOME": str(tmp_path / "hf"), "PHOTOFIND_MODEL": "clip", "COLUMNS": "250"}
    owner = read_owner(isolated_home / "photofind.lock")
    if owner.get("pid") and StoreLock(isolated_home).is_held_elsewhere():
        os.kill(owner["pid"], signal.SIGKILL)


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "photofind", *args], capture_output=True, text=True, env=env, timeout=180)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("server", [False, True], ids=["here", "in-server"])
def test_no_hub_is_one_line_and_no_retries(photos: Path, hub_env: dict[str, str], isolated_home: Path,
                                           server: bool) -> None:
    env = {**hub_env, "HF_ENDPOINT": refused_url(), "PHOTOFIND_SERVER_AUTOSTART": str(server).lower()}
    done = run(env, "index", str(photos), "--model", "clip")
    assert done.returncode == 2, done.stderr
    said = lines(done.stderr)
    # no retries (95 lines of them, 98 s, before), no warnings from huggingface_hub or open_clip
    assert len(said) == 1, done.stderr
    # the default model comes as ready ONNX files from the hub (no torch): its first file is asked for
    assert said[0].startswith("photofind: could not download model ViT-B-32/laion2b_s34b_b79k"), said
    assert f"{env['HF_ENDPOINT']} is not reachable" in said[0]
    assert "set model.checkpoint" in said[0] and "--model effnet-lite0" in said[0]
    assert done.stdout == ""
    if server:  # the job ran in `photofind serve`, started for it: it exited with the command, quietly
        assert not StoreLock(isolated_home).is_held_elsewhere()
        assert "Retry" not in (isolated_home / "server.log").read_text()
    assert not (isolated_home / "catalog.sqlite").exists()  # no empty store left to change the next command


def in_terminal(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as its stdout and stderr (Rich draws its bars only on
    a terminal); returns the exit status and what the terminal received, escapes removed."""
    import fcntl
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    proc = subprocess.Popen([PY, "-m", "photofind", *args], stdin=slave, stdout=slave, stderr=slave,
                            env={**env, "TERM": "xterm-256color", "COLUMNS": "160"}, close_fds=True)
    os.close(slave)
    out = read_pty(master, proc, 180)
    os.close(master)
    return proc.wait(timeout=30), ANSI.sub("", out.decode(errors="replace"))


@pytest.mark.parametrize("server", [False, True], ids=["here", "in-server"])
def test_download_shows_size_speed_and_eta_then_needs_no_network(
    photos: Path, hub_env: dict[str, str], tmp_path: Path, server: bool
) -> None:
    data = os.urandom(25 * 2**20 + 12345)  # 26.2 MB: three of huggingface_hub's 10 MiB reads
    hub = FakeHub({f"{REPO_ID}/open_clip_model.safetensors": data}, piece=1 << 20, pause=0.1)
    # open_clip's own weights: the torch extra's path (runtime torch; the ready files are tested in
    # tests/test_ready_models.py)
    env = {**hub_env, "HF_ENDPOINT": hub.url, "PHOTOFIND_SERVER_AUTOSTART": str(server).lower(),
           "PHOTOFIND_MODEL_RUNTIME": "torch"}
    try:
        status, screen = in_terminal(env, "index", str(photos), "--model", "clip")
    finally:
        hub.close()
    assert status == 2, screen
    # the bar, drawn by the CLI from the core's DownloadProgress (through the server's socket too)
    assert "downloading CLIP weights ViT-B-32/laion2b_s34b_b79k" in screen, screen
    assert re.search(r"\d+\.\d/26\.2 MB", screen), screen  # size
    assert re.search(r"\d+(\.\d)? [kM]B/s", screen), screen  # speed
    assert re.search(r"\d:\d\d:\d\d", screen), screen  # ETA
    assert "Retry" not in screen and "WARNING" not in screen
    cached = tmp_path / "hf" / "hub" / f"models--{REPO_ID.replace('/', '--')}" / "snapshots" / COMMIT
    assert (cached / "open_clip_model.safetensors").read_bytes() == data
    # the bytes are not CLIP weights: open_clip's failure to read them, said once
    assert "photofind: cannot load CLIP weights ViT-B-32/laion2b_s34b_b79k from the Hugging Face cache" in screen
    assert ("GET", f"/{REPO_ID}/resolve/main/open_clip_model.safetensors") in hub.requests

    # The hub is gone now: weights in the cache are read without asking the network.
    done = run(env, "index", str(photos), "--model", "clip")
    assert done.returncode == 2
    said = lines(done.stderr)
    assert len(said) == 1 and "from the Hugging Face cache" in said[0], done.stderr


@pytest.mark.parametrize("server", [False, True], ids=["here", "in-server"])
def test_a_query_that_needs_the_weights_shows_their_download_too(
    photos: Path, hub_env: dict[str, str], isolated_home: Path, server: bool
) -> None:
    """A store indexed with CLIP whose weights have since left the cache (its vectors written
    straight into a real store here, as no real weights exist on this machine): `like` on a photo
    that is not indexed needs the model, and shows the download's bar like `index` does."""
    import numpy as np

    from photofind.store.store import Store

    vectors = np.random.default_rng(0).standard_normal((3, 512)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    with Store(isolated_home, "test") as store:
        store.vectors("clip-ViT-B-32-laion2b_s34b_b79k", "cosine").upsert([c * 64 for c in "abc"], vectors, [{}] * 3)
    hub = FakeHub({f"{REPO_ID}/open_clip_model.safetensors": os.urandom(12 * 2**20)}, piece=1 << 20, pause=0.1)
    env = {**hub_env, "HF_ENDPOINT": hub.url, "PHOTOFIND_SERVER_AUTOSTART": str(server).lower(),
           "PHOTOFIND_MODEL_RUNTIME": "torch"}
    try:
        status, screen = in_terminal(env, "like", str(photos / "photo_0000.jpg"), "--model", "clip")
    finally:
        hub.close()
    assert status == 2, screen
    assert "downloading CLIP weights ViT-B-32/laion2b_s34b_b79k" in screen, screen
    assert re.search(r"\d+\.\d/12\.6 MB", screen), screen
    assert "photofind: cannot load CLIP weights ViT-B-32/laion2b_s34b_b79k from the Hugging Face cache" in screen
    # a server started for the failed query exits with it; the store it answered from stays
    assert not StoreLock(isolated_home).is_held_elsewhere()
    with Store(isolated_home, "test") as store:
        assert store.vectors("clip-ViT-B-32-laion2b_s34b_b79k", "cosine").count() == 3
