"""The duplicates page's trash and restore in a real headless Chromium against a real
`photofind web` process (it owns the store), with a real trash directory under the test's
own XDG_DATA_HOME; and the same server answering `photofind dupes --trash` from the CLI.
Screenshots go to the test's tmp dir (and $PHOTOFIND_ARTIFACTS when set)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from photofind import config
from photofind.api.requests import IndexRequest
from photofind.api.client import Client
from photofind.store.lock import read_owner
from tests.web.conftest import make_library
from tests.helpers.processes import Server
from tests.web.test_browser import CHROMIUM, DRIVER, Shots, browser  # noqa: F401 (the fixture)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def in_trash() -> list[str]:
    files = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    return sorted(p.name for p in files.iterdir()) if files.is_dir() else []


@pytest.fixture
def served(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PHOTOFIND_MODEL", "pixel")
    lib = make_library(tmp_path)
    Client(config.load()).answer(IndexRequest(paths=(str(lib.root),), model="pixel"))
    return lib, Server(isolated_home, tmp_path / "web.log", "web", "--port", "0")


def test_the_cli_trashes_and_restores_through_the_running_server(served, isolated_home: Path) -> None:
    lib, web = served
    before = {p: sha(p) for p in lib.root.rglob("*.jpg") if not p.is_symlink()}
    count = json.loads(web.cli_here("status", "--json").stdout)["files"]
    res = web.cli_here("dupes", "--trash", "--yes")
    assert res.returncode == 0, res.stderr
    assert in_trash() == ["copy.jpg", "photo_0003.jpg"]
    # The server did it (this command never took the store: the server holds its lock
    # throughout), and its catalog followed at once.
    assert read_owner(isolated_home / "photofind.lock").get("pid") == web.proc.pid
    status = json.loads(web.cli_here("status", "--json").stdout)
    assert status["files"] == count - 2 and status["daemon_pid"] == web.proc.pid
    res = web.cli_here("restore", "--yes")
    assert res.returncode == 0, res.stderr
    assert in_trash() == [] and {p: sha(p) for p in before} == before
    assert json.loads(web.cli_here("status", "--json").stdout)["files"] == count


@pytest.mark.slow
@pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()), reason="Debian's chromium and chromium-driver are not installed")
def test_move_selected_to_trash_and_restore_in_a_real_browser(served, browser, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    lib, web = served
    base = web.url.rstrip("/")
    shot = Shots(tmp_path / "screenshots")
    wait = WebDriverWait(browser, 30)
    before = {p: sha(p) for p in lib.root.rglob("*.jpg") if not p.is_symlink()}

    def boxes() -> dict[str, bool]:
        return {b.get_attribute("value"): b.is_selected()
                for b in browser.find_elements(By.CSS_SELECTOR, "input[name=move]")}

    def click(element: "object") -> None:  # into the middle of the view, clear of the sticky bars
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()  # type: ignore[attr-defined]

    def submit(button_id: str) -> None:
        click(browser.find_element(By.ID, button_id))

    # 1. Each group's checkboxes: the suggested keeper unchecked, the other copies checked.
    browser.get(base + "/dupes")
    assert browser.find_elements(By.ID, "trash-button"), browser.page_source[:3000]
    assert boxes() == {str(lib / "photo_0001.jpg"): False, str(lib / "copy.jpg"): True,
                       str(lib / "photo_0003.jpg"): True, str(lib / "sub" / "big3.jpg"): False}
    shot(browser, "dupes-checkboxes")

    # 2. The button asks first, with the count and the size; "Cancel" moves nothing.
    submit("trash-button")
    alert = wait.until(EC.alert_is_present())
    size = (lib / "copy.jpg").stat().st_size + (lib / "photo_0003.jpg").stat().st_size
    shown = f"{size / 1e6:.2f} MB" if size >= 100_000 else f"{round(size / 1e3)} KB"
    assert alert.text == f"Move 2 files ({shown}) to the trash?"
    alert.dismiss()
    assert in_trash() == [] and (lib / "copy.jpg").exists()

    # 3. Uncheck one, confirm: only the other moves, and the page says so.
    click(browser.find_element(By.CSS_SELECTOR, f"input[name=move][value='{lib / 'photo_0003.jpg'}']"))
    submit("trash-button")
    alert = wait.until(EC.alert_is_present())
    assert alert.text.startswith("Move 1 file (")
    alert.accept()
    wait.until(lambda _: browser.find_elements(By.ID, "done"))
    assert "Moved 1 file " in browser.find_element(By.ID, "done").text
    assert in_trash() == ["copy.jpg"] and not (lib / "copy.jpg").exists() and (lib / "photo_0003.jpg").exists()
    assert str(lib / "copy.jpg") not in boxes()  # the catalog followed: its group is gone
    shot(browser, "dupes-after-trash")

    # 4. A request without the page's token, from the page itself: 403, nothing moves.
    status = browser.execute_script(
        "return fetch('/dupes/trash', {method: 'POST', body: new URLSearchParams({move: arguments[0]})})"
        ".then(r => r.status)", str(lib / "photo_0003.jpg"))
    assert status == 403 and (lib / "photo_0003.jpg").exists()
    # ...and a form on another origin (a file:// page: Origin null) that even knows the token: 403.
    token = browser.find_element(By.NAME, "csrf").get_attribute("value")
    evil = tmp_path / "evil.html"
    evil.write_text(f"""<form id=f method=post action="{base}/dupes/trash">
<input name=csrf value="{token}"><input name=move value="{lib / 'photo_0003.jpg'}"></form>
<script>document.getElementById('f').submit()</script>""")
    browser.get(evil.as_uri())
    wait.until(lambda _: "refused" in browser.find_element(By.TAG_NAME, "body").text)
    assert (lib / "photo_0003.jpg").exists() and in_trash() == ["copy.jpg"]
    shot(browser, "csrf-refused")

    # 5. "Restore" puts the last operation back, after its own question.
    browser.get(base + "/dupes")
    assert "1 file in the trash" in browser.find_element(By.ID, "restore").text
    submit("restore-button")
    alert = wait.until(EC.alert_is_present())
    assert alert.text.startswith("Put back 1 file (")
    alert.accept()
    wait.until(lambda _: browser.find_elements(By.ID, "done"))
    assert "Put back 1 file " in browser.find_element(By.ID, "done").text
    assert in_trash() == [] and {p: sha(p) for p in before} == before
    assert str(lib / "copy.jpg") in boxes() and not browser.find_elements(By.ID, "restore")
    shot(browser, "dupes-after-restore")


def test_a_server_killed_in_the_middle_of_a_trash_is_reconciled_when_the_next_one_starts(
        tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the process that owns the store (it does the moves), between a file's move and
    its catalog change; the next server reconciles the journal as it starts."""
    import signal
    import subprocess
    import sys
    import time

    monkeypatch.setenv("PHOTOFIND_MODEL", "pixel")
    lib = make_library(tmp_path)
    Client(config.load()).answer(IndexRequest(paths=(str(lib.root),), model="pixel"))
    marker = tmp_path / "paused"
    web = Server(isolated_home, tmp_path / "web.log", "web", "--port", "0",
                 env={"PHOTOFIND_TEST_PAUSE": f"trash-moved:2:{marker}"})
    count = json.loads(web.cli_here("status", "--json").stdout)["files"]
    asking = subprocess.Popen([sys.executable, "-m", "photofind", "dupes", "--trash", "--yes"], env=web.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert asking.poll() is None and time.monotonic() < deadline, asking.communicate()
        time.sleep(0.05)
    assert web.stop(signal.SIGKILL) == -signal.SIGKILL
    asking.communicate(timeout=60)
    assert asking.returncode != 0  # its server went away: it says so
    assert in_trash() == ["copy.jpg", "photo_0003.jpg"]  # both moved, the second's row not yet deleted

    again = Server(isolated_home, tmp_path / "web2.log", "web", "--port", "0")
    assert json.loads(again.cli_here("status", "--json").stdout)["files"] == count - 2
    (journal,) = (isolated_home / "trash-journal").glob("*.jsonl")
    lines = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [line["step"] for line in lines if line.get("reconciled")] == ["moved"]
    assert again.cli_here("restore", "--yes").returncode == 0 and in_trash() == []
    assert json.loads(again.cli_here("status", "--json").stdout)["files"] == count
