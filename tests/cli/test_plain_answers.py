"""Errors name the file, empty answers say so, --open says when nothing can open, and -v logs
one line per request (issue 19, part 5). The real CLI (in this process where only its answer
matters), real servers in their own processes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from photofind.store.lock import StoreLock, read_owner
from tests.helpers.cli import Ran, run_here
from tests.helpers.images import library
from tests.helpers.waiting import wait_until

PY = sys.executable
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def base_env(isolated_home: Path) -> Iterator[dict[str, str]]:
    """No model named (the library's answers), servers off unless a test turns them on; any server
    left behind is killed at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_MODEL")}
    yield {**env, "COLUMNS": "250"}
    owner = read_owner(isolated_home / "photofind.lock")
    if owner.get("pid") and StoreLock(isolated_home).is_held_elsewhere():
        os.kill(owner["pid"], signal.SIGKILL)


@pytest.fixture
def photos(tmp_path: Path, base_env: dict[str, str]) -> list[Path]:
    files = library(tmp_path / "photos", 6)
    done = run(base_env, "index", str(tmp_path / "photos"), "-m", "pixel")
    assert done.returncode == 0, done.stderr
    return files


def run(env: dict[str, str], *args: str, cwd: Path | None = None) -> Ran:
    return run_here(*args, env=env, cwd=cwd)


# the server case: the same line through a real on-demand `photofind serve`, in the full suite
@pytest.mark.parametrize("server", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["no-server", "server"])
def test_a_query_file_that_is_no_image_is_named(tmp_path: Path, photos: list[Path], base_env: dict[str, str],
                                                server: bool) -> None:
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    shutil.copy(photos[0], tmp_path / "a.jpg")
    env = {**base_env, "PHOTOFIND_SERVER_AUTOSTART": str(server).lower()}
    res = run(env, "like", "a.jpg", "README.md", cwd=tmp_path)
    assert res.returncode == 2
    assert res.stderr == "photofind: README.md: not a readable image (unknown format)\n"  # no file named before


def test_filters_that_leave_nothing_say_why_and_exit_0(photos: list[Path], base_env: dict[str, str]) -> None:
    query = str(photos[0])
    res = run(base_env, "like", query, "--since", "2027-01-01")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"no photo matches {photos[0].name}: 0 of {len(photos)} photos taken since 2027-01-01"
    piped = run(base_env, "like", query, "--since", "2027-01-01", "--paths")
    assert piped.returncode == 0 and piped.stdout == ""  # nothing for the pipe, the reason on the terminal
    assert "0 of 6 photos taken since 2027-01-01" in piped.stderr
    data = json.loads(run(base_env, "like", query, "--json", "--until", "2000-01-01", "--in",
                          str(photos[0].parent)).stdout)
    assert data["matches"] == [] and data["empty_reason"] == f"0 of 6 photos taken until 2000-01-01, in {photos[0].parent}"
    # a lower-is-better metric's --min-score reads "at most"
    l1 = run(base_env, "like", query, "--metric", "l1", "--min-score", "0")
    assert "scoring at most 0" in l1.stdout and l1.returncode == 0


def test_open_without_a_browser_or_a_display_says_so(tmp_path: Path, photos: list[Path],
                                                     base_env: dict[str, str]) -> None:
    env = {k: v for k, v in base_env.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "TERM")}
    grid = run(env, "like", str(photos[0]), "--grid", str(tmp_path / "g.png"), "--open")
    assert grid.returncode == 0 and (tmp_path / "g.png").is_file()
    assert f"--open: no image viewer on this machine (no display, or no xdg-open); open {tmp_path / 'g.png'}" in grid.stderr
    log = tmp_path / "web.log"
    with log.open("w") as out:
        web = subprocess.Popen([PY, "-m", "photofind", "web", "--port", "0", "--open"], env=env,
                               stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "--open: no web browser found" in log.read_text(), timeout=60,
                   what="web --open says no browser")
        url = re.search(r"web page: (http://\S+)", log.read_text())
        assert url is not None and f"open {url.group(1)} yourself" in log.read_text()
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)


def test_serve_v_and_web_v_log_one_line_per_request(tmp_path: Path, photos: list[Path],
                                                    base_env: dict[str, str]) -> None:
    log = tmp_path / "serve.log"
    env = {**base_env, "PHOTOFIND_SERVER_AUTOSTART": "true"}
    with log.open("w") as out:
        serve = subprocess.Popen([PY, "-m", "photofind", "serve", "-v"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "socket" in log.read_text(), timeout=60, what="serve listening")
        assert run(env, "like", str(photos[0]), "-k", "1").returncode == 0
        assert run(env, "status").returncode == 0
        wait_until(lambda: "request status:" in log.read_text(), timeout=10, what="the status request logged")
        lines = [line for line in log.read_text().splitlines() if " request " in line]
        verbs = [re.search(r"request (\S+):", line).group(1) for line in lines]  # type: ignore[union-attr]
        assert verbs.count("like") == 1 and verbs.count("status") == 1, lines
        assert all(re.search(r": answered in \d+ ms$", line) for line in lines if "like" in line or "status:" in line)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    log = tmp_path / "web.log"
    with log.open("w") as out:
        web = subprocess.Popen([PY, "-m", "photofind", "web", "-v", "--port", "0"], env=base_env, stdout=out,
                               stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "web page: http" in log.read_text(), timeout=60, what="web listening")
        url = re.search(r"web page: (http://\S+)", log.read_text()).group(1)  # type: ignore[union-attr]
        for path in ("", "?q=dog", "no-such-page"):
            try:
                urllib.request.urlopen(url + path, timeout=30).read()
            except urllib.error.HTTPError:
                pass  # a 404 or 409 is still a request, and logged
        wait_until(lambda: "GET /no-such-page " in log.read_text(), timeout=10, what="the last request logged")
        lines = [line for line in log.read_text().splitlines() if re.search(r" GET /\S* \d{3} in \d+ ms$", line)]
        assert [line.split(" GET ")[1].split()[0] for line in lines] == ["/", "/?q=dog", "/no-such-page"], lines
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
