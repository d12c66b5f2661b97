"""End to end in a real headless Chromium (Debian's chromium + chromium-driver, driven by
Selenium) against a real `photofind web` process on a temporary library indexed with a tiny
CLIP, so words go through a real text tower. Each page is saved as a screenshot (in the test's
tmp dir, and in $PHOTOFIND_ARTIFACTS when set) and what is on it is asserted."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest

from photofind import config
from photofind.api.requests import IndexRequest
from photofind.api.client import Client
from tests.helpers.images import library
from tests.web.conftest import make_library, sha
from tests.helpers.processes import Server

# Read at import: the autouse isolated_home fixture clears every PHOTOFIND_* variable.
ARTIFACTS = os.environ.get("PHOTOFIND_ARTIFACTS")
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
# The network is closed here: without these Chromium stalls on refused background connections.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,860", "--hide-scrollbars"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (CHROMIUM.exists() and DRIVER.exists()),
                       reason="Debian's chromium and chromium-driver are not installed "
                              "(.ci/run installs them: apt-get install chromium chromium-driver)"),
]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator["object"]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + [f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


class Shots:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.extra = Path(ARTIFACTS) if ARTIFACTS else None

    def __call__(self, driver: "object", name: str) -> None:
        path = self.folder / f"{name}.png"
        driver.save_screenshot(str(path))  # type: ignore[attr-defined]
        if self.extra is not None:
            self.extra.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, self.extra / path.name)


def test_search_upload_photo_more_like_this_dupes_and_status_in_a_real_browser(
    browser, tmp_path: Path, isolated_home: Path, tiny_clip_env: dict[str, str]
) -> None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    lib = make_library(tmp_path)
    library(lib.root / "more", 30, start=100)  # enough photos for a second screenful
    Client(config.load()).answer(IndexRequest(paths=(str(lib.root),)))
    web = Server(isolated_home, tmp_path / "web.log", "web", "--port", "0")
    shot = Shots(tmp_path / "screenshots")
    # The page swaps its results in place: an element may go stale between a find and a read.
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    cards = lambda: browser.find_elements(By.CSS_SELECTOR, "#grid .card")  # noqa: E731

    def click(element: "object") -> None:  # into the middle of the view, clear of the sticky header
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()  # type: ignore[attr-defined]

    def loaded(img: "object") -> bool:
        return bool(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img))

    # 1. Words, through the tiny CLIP's text tower.
    browser.get(web.url)
    field = browser.find_element(By.ID, "q")
    assert field.is_enabled() and "drop, paste or pick a photo" in browser.find_element(By.ID, "hint").text.lower()
    field.send_keys("a red ball on grass", Keys.ENTER)
    wait.until(lambda _: len(cards()) == 24)
    assert "a red ball on grass" in browser.find_element(By.ID, "caption").text
    assert "q=a+red+ball+on+grass" in browser.current_url  # a shareable address
    first = cards()[0]
    assert first.find_element(By.CLASS_NAME, "score").text.startswith(("0.", "-0.", "1.0"))
    assert first.find_element(By.CLASS_NAME, "date").text[:2] in ("20",)
    wait.until(lambda _: all(loaded(c.find_element(By.TAG_NAME, "img")) for c in cards()[:8]))
    shot(browser, "search-words")
    click(browser.find_element(By.ID, "more"))  # k grows in place: the grid gets longer, the view stays
    wait.until(lambda _: len(cards()) == 42)
    assert "k=48" in browser.current_url and "a red ball on grass" in browser.find_element(By.ID, "caption").text

    # 2. Query by example: pick a file (its bytes are photo_0005's, from outside the library).
    query = tmp_path / "query.jpg"
    shutil.copy(lib / "photo_0005.jpg", query)
    browser.find_element(By.ID, "image").send_keys(str(query))
    wait.until(lambda _: "Most like the photo you gave" in browser.find_element(By.ID, "caption").text)
    wait.until(lambda _: len(cards()) == 24)
    assert "already indexed" in browser.find_element(By.ID, "caption").text
    assert cards()[0].get_attribute("data-path") == str(lib / "photo_0005.jpg")
    assert cards()[0].find_element(By.CLASS_NAME, "score").text == "1.0000"
    wait.until(lambda _: all(loaded(c.find_element(By.TAG_NAME, "img")) for c in cards()[:8]))
    shot(browser, "results")
    click(browser.find_element(By.ID, "more"))  # k grows; the picked file is sent again
    wait.until(lambda _: len(cards()) == 42)  # every indexed photo (the broken one is skipped)
    assert cards()[0].get_attribute("data-path") == str(lib / "photo_0005.jpg")

    # 3. A photo's page, then "more like this" from its stored vector.
    click(cards()[0])
    wait.until(lambda _: browser.find_elements(By.ID, "large"))
    assert browser.find_element(By.ID, "name").text == "photo_0005.jpg"
    wait.until(lambda _: loaded(browser.find_element(By.ID, "large")))
    assert str(lib / "photo_0005.jpg") in browser.find_element(By.CSS_SELECTOR, ".about").text
    assert "160 × 120 pixels" in browser.find_element(By.ID, "size").text
    assert browser.find_element(By.ID, "original").get_attribute("href").endswith(f"/original/{sha(query)}")
    shot(browser, "photo")
    click(browser.find_element(By.ID, "more-like"))
    wait.until(lambda _: "More like" in browser.find_element(By.ID, "caption").text)
    assert len(cards()) == 24
    assert str(lib / "photo_0005.jpg") not in [c.get_attribute("data-path") for c in cards()]
    shot(browser, "more-like-this")

    # 4. Dropping an image on the page (the drop handler, fed a real File from the original).
    browser.execute_script("""
        const blob = await (await fetch(arguments[0])).blob();
        const dt = new DataTransfer();
        dt.items.add(new File([blob], "dropped.jpg", {type: "image/jpeg"}));
        document.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
    """, f"/original/{sha(lib / 'rot.jpg')}")
    wait.until(lambda _: "dropped.jpg" in browser.find_element(By.ID, "caption").text)
    assert cards()[0].get_attribute("data-path") == str(lib / "rot.jpg")

    # 5. Something that is not an image: a message on the page, nothing else.
    junk = tmp_path / "notes.jpg"
    junk.write_text("shopping list")
    browser.find_element(By.ID, "image").send_keys(str(junk))
    wait.until(lambda _: browser.find_elements(By.ID, "error"))
    assert "not a readable image" in browser.find_element(By.ID, "error").text and not cards()
    shot(browser, "not-an-image")

    # 6. Duplicates: side by side, the keeper marked, and why they were grouped.
    click(browser.find_element(By.ID, "nav-dupes"))
    wait.until(lambda _: browser.find_elements(By.CSS_SELECTOR, "section.group"))
    groups = browser.find_elements(By.CSS_SELECTOR, "section.group")
    kinds = {g.get_attribute("data-kind"): g for g in groups}
    assert set(kinds) == {"exact", "near"}
    assert "identical bytes" in kinds["exact"].text and "largest tile difference" in kinds["near"].text
    keeper = kinds["near"].find_element(By.CSS_SELECTOR, "figure.keeper")
    assert keeper.get_attribute("data-path") == str(lib / "sub" / "big3.jpg") and "keep" in keeper.text
    wait.until(lambda _: all(loaded(i) for i in browser.find_elements(By.CSS_SELECTOR, "figure.member img")))
    shot(browser, "dupes")

    # 7. Status: roots, counts, skipped files with their reasons, the model, and live activity.
    click(browser.find_element(By.ID, "nav-status"))
    wait.until(lambda _: "Idle" in browser.find_element(By.ID, "activity").text)
    assert "42 indexed" in browser.find_element(By.ID, "counts").text
    assert "not a readable image" in browser.find_element(By.ID, "skipped").text
    assert "pf-tiny-clip" in browser.find_element(By.ID, "collections").text
    shot(browser, "status")
    assert web.stop() == 0


def test_the_status_page_follows_the_daemons_index_run_live(
    browser, tmp_path: Path, isolated_home: Path
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    # The page reloads itself when the run ends: an element found just before is then stale.
    stale = (StaleElementReferenceException,)
    root = tmp_path / "photos"
    library(root, 300, size=(48, 36))
    # One photo per write batch, so the run lasts long enough to be watched.
    watch = Server(isolated_home, tmp_path / "watch.log", "watch", str(root), "-m", "pixel", "--web", "--port", "0",
                   env={"PHOTOFIND_MODEL_BATCH_SIZE": "1"})
    browser.get(watch.url + "status")
    activity = lambda: browser.find_element(By.ID, "activity").text  # noqa: E731
    seen: list[str] = []  # the line as read inside the wait: the page may reload right after

    def indexing(_: object) -> bool:
        seen.append(activity())
        return "files/s" in seen[-1]

    WebDriverWait(browser, 60, poll_frequency=0.05, ignored_exceptions=stale).until(indexing)
    assert seen[-1].startswith("Indexing: ") and " of 300 files" in seen[-1] and "left" in seen[-1]
    Shots(tmp_path / "screenshots")(browser, "status-indexing")
    # When the run ends the page reloads itself, with the new counts.
    WebDriverWait(browser, 120, ignored_exceptions=stale).until(
        lambda _: "300 indexed" in browser.find_element(By.ID, "counts").text)
    assert "Idle" in activity()
    assert watch.stop() == 0
