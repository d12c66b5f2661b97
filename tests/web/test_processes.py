"""`photofind web` and `photofind watch --web` as real processes on a real library: who owns the
store, the loopback default and its warning, and the daemon's page following the folder live."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import httpx
import pytest

from photofind.store.thumbnails import thumb_path
from tests.helpers.images import library
from tests.web.conftest import Lib, make_library, sha
from tests.helpers.processes import Server
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.slow


def test_web_is_the_server_that_owns_the_store_answers_the_cli_and_refuses_a_second_owner(
    lib: Lib, isolated_home: Path, tmp_path: Path
) -> None:
    web = Server(isolated_home, tmp_path / "web.log", "web", "--port", "0", "-m", "pixel")
    assert web.url.startswith("http://127.0.0.1:") and "warning" not in web.text()
    page = httpx.get(web.url + "status")
    assert page.status_code == 200 and "12 indexed" in page.text
    assert f"answered by photofind web (pid {web.proc.pid})" in page.text
    (lib / "photo_0007.jpg").unlink()
    reindex = web.cli("reindex", "-m", "pixel")  # the CLI is answered by the page's server
    assert reindex.returncode == 0, reindex.stderr
    assert "11 indexed" in httpx.get(web.url + "status").text
    second = web.cli("watch", str(lib.root), "-m", "pixel")
    assert second.returncode == 2
    assert f"photofind web (pid {web.proc.pid}) owns this index" in second.stderr and "stop it" in second.stderr
    assert web.stop() == 0
    assert "stopped; the index is consistent" in web.text()


def test_any_address_but_loopback_is_explicit_and_warned_about(lib: Lib, isolated_home: Path, tmp_path) -> None:
    web = Server(isolated_home, tmp_path / "web.log", "web", "--host", "0.0.0.0", "--port", "0", "-m", "pixel")
    warning = "warning: serving on 0.0.0.0: anyone on every network this machine is on can see your photos"
    assert web.text().count(warning) == 1
    port = web.url.rsplit(":", 1)[1].strip("/")
    assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{port}/", headers={"Host": "evil.example"}).status_code == 403
    assert web.stop() == 0


def test_web_is_answered_by_a_running_watch_daemon(tmp_path: Path, isolated_home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 4)
    watch = Server(isolated_home, tmp_path / "watch.log", "watch", str(root), "-m", "pixel", "--web", "--port", "0")
    wait_until(lambda: "4 indexed" in httpx.get(watch.url + "status").text, what="the start-up scan")
    web = Server(isolated_home, tmp_path / "web.log", "web", "--port", "0", "-m", "pixel")
    assert f"answered by photofind watch (pid {watch.proc.pid})" in web.text()
    like = httpx.get(web.url + "api/search", params={"like": sha(root / "photo_0001.jpg")}).json()
    assert len(like["matches"]) == 3
    assert watch.stop() == 0  # the page says so, instead of failing with a 500
    gone = httpx.get(web.url + "api/search", params={"like": sha(root / "photo_0001.jpg")})
    assert gone.status_code == 503 and "photofind watch" in gone.json()["error"]
    thumb = httpx.get(web.url + f"thumb/{sha(root / 'photo_0001.jpg')}/256")
    assert thumb.status_code == 503 and "photofind watch" in thumb.text
    assert web.stop() == 0


def test_watch_web_shows_a_photo_copied_in_and_drops_the_thumbnail_of_one_deleted(
    tmp_path: Path, isolated_home: Path
) -> None:
    lib = make_library(tmp_path)
    watch = Server(isolated_home, tmp_path / "watch.log", "watch", str(lib.root), "-m", "pixel", "--web", "--port", "0")
    with httpx.Client(base_url=watch.url) as http:
        follow_the_folder(http, lib, tmp_path, isolated_home)
    assert watch.stop(signal.SIGTERM) == 0


def follow_the_folder(http: httpx.Client, lib: Lib, tmp_path: Path, isolated_home: Path) -> None:
    query = sha(lib / "photo_0002.jpg")

    def paths() -> list[str]:
        res = http.get("/api/search", params={"like": query, "k": 50})
        return [m["path"] for m in res.json()["matches"]] if res.status_code == 200 else []

    wait_until(lambda: len(paths()) == 11, what="the start-up scan")
    fresh = lib.root / "new" / "fresh.jpg"
    fresh.parent.mkdir()
    shutil.copy(tmp_path / "outside" / "secret.jpg", fresh)  # a photo copied into a root
    wait_until(lambda: str(fresh) in paths(), what="the copied photo in the page's results")
    gone = sha(lib / "photo_0006.jpg")
    assert http.get(f"/thumb/{gone}/256").status_code == 200
    assert thumb_path(isolated_home.parent / "pf-cache", gone, 256).is_file()
    (lib / "photo_0006.jpg").unlink()
    wait_until(lambda: not thumb_path(isolated_home.parent / "pf-cache", gone, 256).exists(),
               what="the thumbnail removed with the vector")
    assert http.get(f"/thumb/{gone}/256").status_code == 404


def test_status_follows_an_index_run_live(tmp_path: Path, isolated_home: Path) -> None:
    root = tmp_path / "photos"
    library(root, 300, size=(48, 36))
    watch = Server(isolated_home, tmp_path / "watch.log", "watch", str(root), "-m", "pixel", "--web", "--port", "0",
                   env={"PHOTOFIND_MODEL_BATCH_SIZE": "1"})
    seen = []

    def finished() -> bool:
        a = httpx.get(watch.url + "api/activity").json()
        seen.append(a)
        return not a["indexing"] and "300 indexed" in httpx.get(watch.url + "status").text

    wait_until(finished, timeout=120, what="the index run")
    running = [a for a in seen if a["indexing"]]
    assert running, "never saw the run in progress"
    a = running[-1]
    assert 0 < a["done"] < a["total"] == 300 and a["rate"] > 0 and a["eta_seconds"] > 0
    dones = [a["done"] for a in running]
    assert dones == sorted(dones)  # progress only moves forward
    assert watch.stop() == 0


def test_a_port_in_use_is_one_clear_line_and_exit_2(lib: Lib, isolated_home: Path) -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        res = subprocess.run([sys.executable, "-m", "photofind", "web", "--port", port, "-m", "pixel"],
                             capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert f"cannot serve the web page on 127.0.0.1:{port}: Address already in use" in res.stderr
    assert "Traceback" not in res.stderr
