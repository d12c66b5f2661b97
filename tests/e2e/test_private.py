"""Private by default, with real files and real modes: the CLI in a subprocess creates the data
dir and the cache dir 0700 and every file in them 0600 whatever the umask it inherits (022
here), tightens an old 0755/0644 data dir once with one line, and `status` says when others can
read the store."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from photofind.store.lock import StoreLock, read_owner
from tests.helpers.images import library

pytestmark = pytest.mark.slow
PY = sys.executable


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems give users: new files 0644, folders 0755, unless photofind says otherwise."""
    before = os.umask(0o022)
    yield
    os.umask(before)


@pytest.fixture
def env(isolated_home: Path) -> Iterator[dict[str, str]]:
    yield {**os.environ, "PHOTOFIND_MODEL": "pixel", "COLUMNS": "250"}
    owner = read_owner(isolated_home / "photofind.lock")
    if owner.get("pid") and StoreLock(isolated_home).is_held_elsewhere():
        os.kill(owner["pid"], signal.SIGKILL)


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "photofind", *args], capture_output=True, text=True, env=env, timeout=300)


def modes(root: Path) -> dict[str, tuple[str, int]]:
    """Every entry under `root` (itself included): relative path -> (kind, permission bits)."""
    found = {".": ("dir", stat.S_IMODE(root.lstat().st_mode))}
    for entry in root.rglob("*"):
        st = entry.lstat()
        kind = "dir" if stat.S_ISDIR(st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "file"
        found[str(entry.relative_to(root))] = (kind, stat.S_IMODE(st.st_mode))
    return found


def loose(root: Path) -> dict[str, tuple[str, int]]:
    """What is not 0700 (folders) or 0600 (files, sockets)."""
    return {p: (k, oct(m)) for p, (k, m) in modes(root).items() if m != (0o700 if k == "dir" else 0o600)}


def loosen(root: Path) -> None:
    """A data dir as photofind left it before it was private: folders 0755, files 0644."""
    for path, (kind, _) in modes(root).items():
        os.chmod(root / path, 0o755 if kind == "dir" else 0o644)


def test_a_fresh_index_is_private_data_and_cache(tmp_path: Path, isolated_home: Path, tiny_clip_env: dict[str, str],
                                                 env: dict[str, str]) -> None:
    library(tmp_path / "photos", 3)
    done = cli({**env, **tiny_clip_env}, "index", str(tmp_path / "photos"))  # tiny CLIP: exports to the ONNX cache
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # nothing to tighten in a new data dir
    data = modes(isolated_home)
    assert {"catalog.sqlite", "photofind.lock", "chroma", "chroma/chroma.sqlite3"} <= set(data)
    assert any(p.endswith(".bin") for p in data)  # Chroma's index files, written by its own code
    assert loose(isolated_home) == {}
    cache = Path(env["PHOTOFIND_STORE_CACHE_DIR"])
    assert any(p.endswith(".onnx") for p in modes(cache))
    assert loose(cache) == {}


def test_a_server_keeps_its_socket_and_log_private_and_status_warns_when_others_can_read(
    tmp_path: Path, isolated_home: Path, env: dict[str, str]
) -> None:
    library(tmp_path / "photos", 3)
    env = {**env, "PHOTOFIND_SERVER_AUTOSTART": "true"}
    done = cli(env, "index", str(tmp_path / "photos"))
    assert done.returncode == 0, done.stderr
    assert read_owner(isolated_home / "photofind.lock").get("command") == "serve"
    data = modes(isolated_home)
    assert data["server.log"][0] == "file" and data["photofind.sock"][0] == "socket"
    assert loose(isolated_home) == {}
    assert "warning" not in cli(env, "status").stdout

    # Someone opens it up while the server runs: status (answered by the server) says so.
    os.chmod(isolated_home, 0o755)
    os.chmod(isolated_home / "catalog.sqlite", 0o644)
    shown = cli(env, "status")
    assert shown.returncode == 0, shown.stderr
    warning = [line for line in shown.stdout.splitlines() if line.startswith("warning")]
    assert len(warning) == 1, shown.stdout
    assert "other users can read this store: catalog.sqlite" in warning[0]
    assert f"chmod -R go= {isolated_home}" in warning[0]
    report = json.loads(cli(env, "status", "--json").stdout)
    assert report["readable_by_others"] == ["catalog.sqlite"] and report["daemon_pid"]


def test_an_old_open_data_dir_is_tightened_once_with_one_line(tmp_path: Path, isolated_home: Path,
                                                              env: dict[str, str]) -> None:
    library(tmp_path / "photos", 3)
    assert cli(env, "index", str(tmp_path / "photos")).returncode == 0
    loosen(isolated_home)
    status = json.loads(cli(env, "--no-server", "status", "--json").stdout)
    assert status["readable_by_others"] == [], "status opened the store here, and tightened it first"
    loosen(isolated_home)
    assert len(loose(isolated_home)) >= 5

    done = cli(env, "index", str(tmp_path / "photos"))
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(said) == 1, done.stderr
    assert said[0].startswith(f"warning: made {isolated_home} private: other users could read it")
    assert loose(isolated_home) == {}
    again = cli(env, "index", str(tmp_path / "photos"))
    assert again.returncode == 0 and again.stderr == ""  # once

