"""`photofind watch` as a real subprocess with real watchdog on real files.

Each test starts the daemon on a temp root, changes the folder the way a person would, waits
(bounded) for the daemon to converge, then stops it with SIGTERM and opens the store itself to
check catalog and vectors against the disk, hash for hash.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest

from photofind.api.requests import LikeRequest
from photofind.query.ranking import Ranking
from photofind.store.store import Store
from tests.helpers.images import library, save, scene
from tests.helpers.processes import Watch
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.slow
PY = sys.executable


def on_disk(*roots: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for root in roots for p in root.rglob("*.jpg")
            if p.is_file()}


def assert_store_matches_disk(home: Path, *roots: Path) -> None:
    disk = on_disk(*roots)
    with Store(home, "check") as store:
        rows = {r.path: r.hash for r in store.catalog.iter_ok()}
        ids = store.vectors("pixel-32", "cosine").ids()
    assert rows == disk
    assert ids == set(disk.values())  # every vector referenced, none missing, none twice


def converged(w: Watch, root: Path) -> Callable[[], bool]:
    def check() -> bool:
        disk = on_disk(root)
        s = w.status()
        return s["files"] == len(disk) and s["collections"][0]["vectors"] == len(set(disk.values()))
    return check


@pytest.fixture
def home(isolated_home: Path) -> Path:
    return isolated_home


def test_store_follows_creates_edits_partial_copies_moves_and_deletes(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 4)
    outside = tmp_path / "outside"
    library(outside / "trip", 2, start=40)
    w = Watch(home, root, tmp_path / "watch.log")
    try:
        wait_until(converged(w, root), what="start-up scan")
        wait_until(lambda: w.embedded_total() == 4, what="the start-up batch logged")  # logged after the write

        library(root / "new", 2, start=10)  # 2 new contents
        save(scene(77), root / "photo_0000.jpg", quality=92)  # an edit: 1 new content
        # A copy that pauses mid-file for less than the settle time: never embedded half-written.
        full = save(scene(88, (400, 300)), tmp_path / "big.jpg", quality=95).read_bytes()
        partial = root / "copying.jpg"
        with open(partial, "wb") as fh:
            fh.write(full[: len(full) // 2])
            fh.flush()
            time.sleep(0.6)
            fh.write(full[len(full) // 2 :])  # 1 new content
        os.rename(root / "photo_0001.jpg", root / "renamed.jpg")  # a rename
        library(root / "album", 2, start=20)  # 2 new contents
        wait_until(converged(w, root), what="new files")
        shutil.move(str(root / "album"), str(root / "moved-album"))  # a folder move inside the root
        shutil.move(str(outside / "trip"), str(root / "trip"))  # a folder moved in from outside: 2 new contents
        (root / "photo_0002.jpg").unlink()
        shutil.rmtree(root / "new")
        wait_until(converged(w, root), what="moves and deletes")
        time.sleep(1.5)  # let any late event settle before counting
        assert "copying.jpg:" not in w.log_text()  # no "skipping .../copying.jpg: corrupt" ever
        assert w.embedded_total() == 4 + 2 + 1 + 1 + 2 + 2  # renames and folder moves cost nothing
    finally:
        assert w.stop() == 0
    assert_store_matches_disk(home, root)


def test_like_through_the_daemon_sees_a_photo_added_seconds_ago(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 6)
    w = Watch(home, root, tmp_path / "watch.log")
    try:
        wait_until(converged(w, root))
        query = save(scene(500), tmp_path / "query.jpg", quality=92)  # outside the root
        added = save(scene(500), root / "fresh.jpg", quality=80)

        def found() -> bool:
            res = w.cli("like", str(query), "-m", "pixel", "-k", "3", "--json")
            assert res.returncode == 0, res.stderr  # never an error while it indexes
            return str(added) in [m["path"] for m in json.loads(res.stdout)["matches"]]

        wait_until(found, timeout=30, what="fresh photo in like results")
        res = w.cli("status", "--json", "-m", "pixel")
        assert res.returncode == 0 and json.loads(res.stdout)["files"] == 7
        assert json.loads(res.stdout)["daemon_pid"] == w.proc.pid
        table = w.cli("like", str(query), "-m", "pixel", "-k", "1")
        assert "fresh.jpg" in table.stdout  # the same table the local path prints
        # the other queries go through the daemon too, errors included
        sub = save(scene(501), root / "sub" / "only.jpg", quality=90)
        wait_until(lambda: w.status()["files"] == 8, what="sub/only.jpg indexed")
        inside = json.loads(w.cli("like", str(query), "-m", "pixel", "--in", str(root / "sub"), "--json").stdout)
        assert [m["path"] for m in inside["matches"]] == [str(sub)]
        res = w.cli("search", "a photo", "-m", "pixel")
        assert res.returncode == 2 and "has no text tower" in res.stderr
        shutil.copy(added, root / "fresh copy.jpg")
        wait_until(lambda: w.status()["files"] == 9, what="copy indexed")
        dupes = json.loads(w.cli("dupes", "-m", "pixel", "--exact-only", "--json").stdout)
        assert [sorted(Path(m["path"]).name for m in g["members"]) for g in dupes["groups"]] == [["fresh copy.jpg", "fresh.jpg"]]
        res = w.cli("reindex", "-m", "pixel")
        assert res.returncode == 0 and "9 files seen, 9 unchanged" in res.stdout
    finally:
        assert w.stop() == 0


def test_index_is_a_job_of_the_running_watch_a_second_watch_exits_2_and_a_killed_lock_is_recovered(
    tmp_path: Path, home: Path
) -> None:
    root = tmp_path / "photos"
    library(root, 3)
    w = Watch(home, root, tmp_path / "watch.log")
    wait_until(converged(w, root))
    more = tmp_path / "more"
    library(more, 2, start=30)
    res = w.cli("index", str(more), "-m", "pixel")  # a job inside the watch, which then follows the folder
    assert res.returncode == 0 and "2 embedded" in res.stdout, res.stderr
    library(more, 1, start=40)
    wait_until(lambda: w.status()["files"] == 6, what="a photo added to the newly indexed folder")
    second = subprocess.run([PY, "-m", "photofind", "watch", str(root), "-m", "pixel"],
                            capture_output=True, text=True, env=w.env, timeout=60)
    assert second.returncode == 2 and str(w.proc.pid) in second.stderr
    assert w.stop(signal.SIGKILL) == -signal.SIGKILL
    res = w.cli("index", str(root), "-m", "pixel")
    assert res.returncode == 0, res.stderr  # the dead owner's lock is gone; the stale socket is ignored
    assert_store_matches_disk(home, root, more)


def test_sigterm_mid_batch_exits_0_consistent_and_restart_completes(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 600, size=(96, 72))
    w = Watch(home, root, tmp_path / "watch.log", env={"PHOTOFIND_MODEL_BATCH_SIZE": "2"})
    wait_until(lambda: w.status()["files"] > 20, what="indexing started")
    assert w.stop() == 0
    assert "SIGTERM" in w.log_text()
    with Store(home, "check") as store:
        referenced = store.catalog.referenced_hashes()
        ids = store.vectors("pixel-32", "cosine").ids()
        assert referenced == ids and 0 < len(ids) < 600
    w2 = Watch(home, root, tmp_path / "watch2.log")
    try:
        wait_until(converged(w2, root), timeout=60, what="restart completes the work")
    finally:
        assert w2.stop() == 0
    assert_store_matches_disk(home, root)


def test_polling_watcher(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 2)
    w = Watch(home, root, tmp_path / "watch.log", "--polling", env={"PHOTOFIND_WATCH_POLL_SECONDS": "0.3"})
    try:
        wait_until(converged(w, root))
        library(root / "sub", 2, start=30)
        (root / "photo_0000.jpg").unlink()
        wait_until(converged(w, root), what="polling saw the changes")
    finally:
        assert w.stop() == 0
    assert_store_matches_disk(home, root)


def test_soak_2000_images_in_bursts_while_querying(tmp_path: Path, home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 1)
    w = Watch(home, root, tmp_path / "watch.log", env={"PHOTOFIND_WATCH_SETTLE_SECONDS": "0.5"})
    wait_until(converged(w, root), what="the first photo indexed")  # before that, like rightly says "no index"
    errors: list[str] = []
    answered = 0
    done = threading.Event()

    def query() -> None:
        nonlocal answered
        q = str(root / "photo_0000.jpg")
        while not done.is_set():
            try:
                w.client.call(LikeRequest(image=q, ranking=Ranking(k=5), model="pixel"))
                answered += 1
            except Exception as exc:  # any error fails the soak
                errors.append(repr(exc))
            time.sleep(0.05)

    querier = threading.Thread(target=query)
    querier.start()
    try:
        for burst in range(10):
            library(root / f"burst{burst}", 200, start=1000 + 200 * burst, size=(48, 36))
            time.sleep(0.3)
        wait_until(converged(w, root), timeout=180, what="2,000 photos indexed")
    finally:
        done.set()
        querier.join()
        assert w.stop() == 0
    assert errors == [] and answered > 10
    assert_store_matches_disk(home, root)
    with Store(home, "check") as store:
        assert store.catalog.counts()[:2] == (2001, 2001)
