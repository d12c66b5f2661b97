"""A library remembers its model (issue 19, part 3): the real CLI (in this process; `watch` and `web`
in their own), with servers off and through a real on-demand `photofind serve`. Nothing names a model after
`index --model ...`: no flag, no PHOTOFIND_MODEL, no config key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from photofind.store.lock import StoreLock, read_owner
from tests.helpers.cli import Ran, run_here
from tests.helpers.images import library

PY = sys.executable


@pytest.fixture(params=[False, True], ids=["no-server", "server"])
def env(request: pytest.FixtureRequest, isolated_home: Path) -> Iterator[dict[str, str]]:
    """The suite's environment with no model named anywhere; servers on or off. A server a test
    leaves behind is killed at its end."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_MODEL")}
    yield {**base, "PHOTOFIND_SERVER_AUTOSTART": str(request.param).lower(), "COLUMNS": "250"}
    owner = read_owner(isolated_home / "photofind.lock")
    if owner.get("pid") and StoreLock(isolated_home).is_held_elsewhere():
        os.kill(owner["pid"], signal.SIGKILL)


# Where the server case repeats its no-server twin through a real on-demand `photofind serve`,
# that case is the full suite's (test_queries_use_the_model... keeps the server in the quick lane).
SERVER_CASE_SLOW = pytest.mark.parametrize("env", [False, pytest.param(True, marks=pytest.mark.slow)],
                                           ids=["no-server", "server"], indirect=True)


def cli(env: dict[str, str], *args: str) -> Ran:
    return run_here(*args, env=env)


def test_queries_use_the_model_the_library_was_indexed_with(tmp_path: Path, env: dict[str, str]) -> None:
    photos = library(tmp_path / "photos", 6)
    done = cli(env, "index", str(tmp_path / "photos"), "--model", "pixel")
    assert done.returncode == 0, done.stderr
    like = cli(env, "like", str(photos[1]), "-k", "2", "--json")
    assert like.returncode == 0, like.stderr  # it said "nothing indexed with model clip…" before
    assert json.loads(like.stdout)["model"] == "pixel-32"
    status = json.loads(cli(env, "status", "--json").stdout)
    assert status["model"] == "pixel-32" and status["model_from"] == "library"
    shown = cli(env, "status").stdout
    assert "the library's model" in shown
    assert cli(env, "dupes", "--json").returncode == 0
    again = cli(env, "reindex")  # no --model: the library's, not CLIP's weights to download
    assert again.returncode == 0 and "with pixel-32" in again.stdout, again.stderr
    # A model named anywhere still wins: here the environment, with nothing indexed for it.
    named = cli({**env, "PHOTOFIND_MODEL": "effnet-lite0"}, "status", "--json")
    assert json.loads(named.stdout)["model"] == "effnet-lite0-imagenet"
    assert json.loads(named.stdout)["model_from"] == "PHOTOFIND_MODEL"


@SERVER_CASE_SLOW
def test_text_search_without_a_text_model_says_what_to_do_once(tmp_path: Path, env: dict[str, str]) -> None:
    library(tmp_path / "photos", 3)
    assert cli(env, "index", str(tmp_path / "photos"), "-m", "pixel").returncode == 0
    res = cli(env, "search", "a dog on the beach")
    assert res.returncode == 2
    said = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(said) == 1, res.stderr
    assert "pixel-32 has no text tower" in said[0]
    assert said[0].count("photofind reindex --model clip") == 1 and "model.checkpoint" in said[0]
    assert "effnet" not in said[0]  # no advice that leads to another model without words


def test_the_most_recently_indexed_model_answers(tmp_path: Path, env: dict[str, str]) -> None:
    if env["PHOTOFIND_SERVER_AUTOSTART"] == "true":
        pytest.skip("one process is enough to check which model the catalog remembers")
    photos = library(tmp_path / "photos", 3)
    env = {**env, "PHOTOFIND_MODEL_RUNTIME": "torch"}  # effnet-lite0's weights ship with timm
    assert cli(env, "index", str(tmp_path / "photos"), "-m", "pixel").returncode == 0
    assert cli(env, "index", str(tmp_path / "photos"), "-m", "effnet-lite0").returncode == 0
    assert json.loads(cli(env, "like", str(photos[0]), "--json").stdout)["model"] == "effnet-lite0-imagenet"
    assert cli(env, "reindex", "-m", "pixel").returncode == 0
    assert json.loads(cli(env, "like", str(photos[0]), "--json").stdout)["model"] == "pixel-32"


def test_watch_goes_on_with_the_library_model(tmp_path: Path, env: dict[str, str], isolated_home: Path) -> None:
    if env["PHOTOFIND_SERVER_AUTOSTART"] == "true":
        pytest.skip("watch is the server itself")
    from tests.helpers.images import save, scene
    from tests.helpers.waiting import catalog_rows, wait_until

    root = tmp_path / "photos"
    library(root, 3)
    assert cli(env, "index", str(root), "-m", "pixel").returncode == 0
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        watch = subprocess.Popen([PY, "-m", "photofind", "watch"], env={**env, "PHOTOFIND_WATCH_SETTLE_SECONDS": "0.5"},
                                 stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "following changes" in log.read_text() or watch.poll() is not None, timeout=60,
                   what="watch up")
        assert "with pixel-32" in log.read_text(), log.read_text()  # it asked for CLIP's weights before
        save(scene(99), root / "new.jpg")
        wait_until(lambda: catalog_rows(isolated_home / "catalog.sqlite") == 4 and "embedded" in log.read_text(),
                   timeout=60, what="the new photo indexed")
    finally:
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(timeout=30) == 0, log.read_text()
    assert "clip" not in log.read_text().lower()


@SERVER_CASE_SLOW
def test_the_web_page_uses_the_library_model(tmp_path: Path, env: dict[str, str]) -> None:
    import re
    import urllib.request

    from tests.helpers.waiting import wait_until

    library(tmp_path / "photos", 3)
    assert cli(env, "index", str(tmp_path / "photos"), "-m", "pixel").returncode == 0
    log = tmp_path / "web.log"
    with log.open("w") as out:
        web = subprocess.Popen([PY, "-m", "photofind", "web", "--port", "0"], env=env, stdout=out,
                               stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "web page: http" in log.read_text() or web.poll() is not None, timeout=60, what="web up")
        url = re.search(r"web page: (http://\S+)", log.read_text())
        assert url is not None, log.read_text()
        status = urllib.request.urlopen(url.group(1) + "status", timeout=60).read().decode()
        assert '<dd id="model">pixel-32' in status  # the page asked with CLIP before
        assert "the pixel model has no text tower" in status  # words off: said for the library's model
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)
