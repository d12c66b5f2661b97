"""While `dupes` works for a long time in the server, other queries are answered: the server runs
it outside its store lock, on a catalog connection of its own. Real processes: the CLI starts
`photofind serve` on demand, `dupes` runs there, and `status` is asked meanwhile."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from photofind.media.fingerprint import COLOUR, THUMB, Fingerprint
from photofind.store.catalog import FileRow
from photofind.store.lock import StoreLock, read_owner
from photofind.store.store import Store
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.slow
PY = sys.executable
N = 60  # all on one pHash: 1,770 pairs through the full test both ways, tens of seconds on this VM


@pytest.fixture
def env(isolated_home: Path) -> Iterator[dict[str, str]]:
    yield {**os.environ, "PHOTOFIND_SERVER_AUTOSTART": "true", "PHOTOFIND_MODEL": "pixel"}
    owner = read_owner(isolated_home / "photofind.lock")
    if owner.get("pid") and StoreLock(isolated_home).is_held_elsewhere():
        os.kill(owner["pid"], signal.SIGKILL)


def crowded_catalog(home: Path) -> None:
    """N photos with one pHash (a crowded library: every pair is a candidate) whose thumbnails
    are independent noise around one grey (they pass the early reject, then most fail the tile
    test both ways, the slowest case), and a grey colour thumbnail."""
    rng = np.random.default_rng(0)
    grey = bytes([128]) * (COLOUR * COLOUR * 3)
    prints, rows = [], []
    for i in range(N):
        thumb = np.clip(128 + rng.normal(0, 30, THUMB * THUMB), 0, 255).astype(np.uint8).tobytes()
        digest = f"{i:064x}"
        prints.append((digest, Fingerprint("8f3c2a1b4d5e6f70", 640, 480, None, thumb, "0123456789abcdef", grey)))
        rows.append(FileRow(f"/photos/{i:04d}.jpg", digest, 1000, 10**18, "ok"))
    with Store(home, "test") as store:
        with store.catalog.transaction():
            store.catalog.put_fingerprints(prints)
            store.catalog.upsert(rows)


def test_status_is_answered_while_dupes_runs(isolated_home: Path, env: dict[str, str]) -> None:
    crowded_catalog(isolated_home)
    dupes = subprocess.Popen([PY, "-m", "photofind", "dupes", "--json"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        def serving() -> bool:
            owner = read_owner(isolated_home / "photofind.lock")
            return owner.get("command") == "serve" and bool(owner.get("socket"))

        wait_until(serving, 60, "the server started by dupes")
        status = subprocess.run([PY, "-m", "photofind", "status", "--json"], env=env, capture_output=True,
                                text=True, timeout=120)
        running = dupes.poll() is None  # dupes had not finished when status was answered
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["files"] == N
        assert running, "status waited for dupes to finish"
        out, err = dupes.communicate(timeout=600)
        assert dupes.returncode == 0, err
        assert sum(len(g["members"]) for g in json.loads(out)["groups"]) <= N  # it finished, with an answer
    finally:
        if dupes.poll() is None:
            dupes.kill()


def test_queries_are_answered_between_the_groups_of_a_long_trash(isolated_home: Path, env: dict[str, str],
                                                                 tmp_path: Path) -> None:
    """`dupes --trash` in the server holds the store lock one group at a time: paused (a test
    hook, PHOTOFIND_TEST_PAUSE) after its first group, the server still answers `status`, which
    already counts that group's files as gone."""
    import shutil

    from typer.testing import CliRunner

    from photofind.cli.app import app
    from tests.helpers.images import save, scene

    lib = tmp_path / "photos"
    for g in range(3):  # three groups of identical copies
        original = save(scene(40 + g, (200, 150)), lib / f"g{g}" / "original.jpg", quality=90)
        os.utime(original, (1_500_000_000, 1_500_000_000))  # the oldest: each group's keeper
        for c in range(2):
            shutil.copy(original, lib / f"g{g}" / f"copy{c}.jpg")
    assert CliRunner().invoke(app, ["index", str(lib), "-m", "pixel"]).exit_code == 0  # in-process, no server
    marker = tmp_path / "paused"
    trash = subprocess.Popen([PY, "-m", "photofind", "dupes", "--trash", "--yes", "--json"],
                             env={**env, "PHOTOFIND_TEST_PAUSE": f"trash-group-done:1:{marker}"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(marker.exists, 120, "the server's trash to pause after its first group")
        status = subprocess.run([PY, "-m", "photofind", "status", "--json"], env=env, capture_output=True,
                                text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["files"] == 9 - 2  # the first group's two copies moved
        assert trash.poll() is None  # the trash is still under way
        assert sum(p.exists() for p in lib.rglob("*.jpg")) == 7
    finally:
        trash.kill()  # the paused server is killed by the env fixture (kill -9 loses nothing: test_trash.py)
        trash.communicate(timeout=30)
