"""A first run that cannot start its work leaves nothing behind, for real: the CLI in a
subprocess starts a real `photofind serve` on demand (server.autostart), the default model's
download fails (HF_ENDPOINT names a port that refuses connections; an empty Hugging Face cache),
and then the server must be gone and the next commands must behave exactly as in a home that
never saw that run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from photofind.store.lock import StoreLock, read_owner
from tests.helpers.fakehub import refused_url
from tests.helpers.images import library

pytestmark = pytest.mark.slow
PY = sys.executable


def cli(env: dict[str, str], home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "photofind", *args], capture_output=True, text=True, timeout=240,
                          env={**env, "PHOTOFIND_HOME": str(home)})


def server_pids(home: Path) -> list[int]:
    """The pids every server in `home` logged at its start (server.log)."""
    log = home / "server.log"
    return [int(p) for p in re.findall(r"\(pid (\d+)\)", log.read_text())] if log.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purposes (its parent, the CLI, has exited)
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


@pytest.fixture
def env(tmp_path: Path, isolated_home: Path) -> Iterator[dict[str, str]]:
    """Servers start on demand; the hub refuses connections; any server left is killed at the end."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE")}
    yield {**base, "HF_HOME": str(tmp_path / "hf"), "HF_ENDPOINT": refused_url(), "COLUMNS": "250",
           "PHOTOFIND_SERVER_AUTOSTART": "true"}
    for home in (isolated_home, tmp_path / "fresh-home"):
        owner = read_owner(home / "photofind.lock")
        if owner.get("pid") and StoreLock(home).is_held_elsewhere():
            os.kill(owner["pid"], signal.SIGKILL)


def test_a_failed_first_index_stops_its_server_and_leaves_the_next_commands_as_in_a_fresh_home(
    tmp_path: Path, isolated_home: Path, env: dict[str, str]
) -> None:
    photos = tmp_path / "photos"
    library(photos, 2)
    failed = cli(env, isolated_home, "index", str(photos), "--model", "clip")
    assert failed.returncode == 2 and "photofind: could not download model ViT-B-32" in failed.stderr, failed.stderr
    started = server_pids(isolated_home)
    assert len(started) == 1, "the command started one server for its job"
    assert not alive(started[0]), "the server started for the failed index still runs"
    assert not StoreLock(isolated_home).is_held_elsewhere()

    # the next commands answer as they do in a home that never saw the failed run
    fresh = tmp_path / "fresh-home"
    query = str(photos / "photo_0000.jpg")
    for args in (["status", "-m", "pixel"], ["reindex", "-m", "pixel"], ["like", query, "-m", "pixel"]):
        after, never = cli(env, isolated_home, *args), cli(env, fresh, *args)
        assert after.returncode == never.returncode, (args, after.stderr, never.stderr)
        assert after.stderr.replace(str(isolated_home), "HOME") == never.stderr.replace(str(fresh), "HOME"), args
        assert after.stdout == never.stdout, args
    assert server_pids(isolated_home) == started, "no further server was started for a missing index"
    # the folder was not remembered: after indexing another one, only that one is a root
    other = tmp_path / "other"
    library(other, 1, start=5)
    done = cli(env, isolated_home, "index", str(other), "-m", "pixel")
    assert done.returncode == 0 and "1 files seen" in done.stdout, done.stdout + done.stderr
    status = cli(env, isolated_home, "status", "-m", "pixel")
    assert str(other) in status.stdout and str(photos) not in status.stdout, status.stdout


def test_a_server_that_was_already_running_stays_when_a_command_fails(
    tmp_path: Path, isolated_home: Path, env: dict[str, str]
) -> None:
    photos = tmp_path / "photos"
    library(photos, 2)
    ok = cli(env, isolated_home, "index", str(photos), "-m", "pixel")
    assert ok.returncode == 0, ok.stderr
    owner = StoreLock(isolated_home).owner()
    assert owner.get("command") == "serve" and alive(owner["pid"])
    failed = cli(env, isolated_home, "index", str(photos), "--model", "clip")
    assert failed.returncode == 2, failed.stderr
    assert StoreLock(isolated_home).owner().get("pid") == owner["pid"] and alive(owner["pid"])
    status = cli(env, isolated_home, "status", "-m", "pixel")
    assert status.returncode == 0 and "2 indexed" in status.stdout, status.stdout
