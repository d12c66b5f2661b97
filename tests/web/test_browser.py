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
         "--window-size=1280,860", "--hide-scrollbars",
         "--host-resolver-rules=MAP evil.example 127.0.0.1"]  # the cross-site page of the refusal test

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


# Where the cross-site page of the refusal test lives: Chromium resolves this name to loopback.
FOREIGN = "evil.example"
# A page's layout, read in the browser: horizontal overflow, and header elements that stick out
# of the view or have their text cut (clipped overflow, a placeholder longer than its field).
LAYOUT = """
const vw = document.documentElement.clientWidth, out = [];
const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '');
for (const el of document.querySelectorAll('header *')) {
  const r = el.getBoundingClientRect(), style = getComputedStyle(el);
  if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;  // not shown
  if (r.left < -0.5 || r.right > vw + 0.5) out.push(`${name(el)} spans ${r.left.toFixed(0)}..${r.right.toFixed(0)}`);
  if (style.overflowX !== 'visible' && el.tagName !== 'INPUT' && el.scrollWidth > el.clientWidth + 1)
    out.push(`${name(el)} cut: ${el.scrollWidth} > ${el.clientWidth}`);
}
const pen = document.createElement('canvas').getContext('2d');
for (const el of document.querySelectorAll('header input[placeholder]')) {  // a placeholder must be whole
  const s = getComputedStyle(el);
  if (el.value || el.getBoundingClientRect().width === 0) continue;
  pen.font = s.font;
  const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
  if (pen.measureText(el.placeholder).width > room + 1) out.push(`${name(el)} placeholder cut`);
}
const header = document.querySelector('header').getBoundingClientRect();
return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, vw, out,
        headerHeight: header.height, headerRight: header.right};
"""


def set_viewport(driver: "object", width: int, height: int) -> None:
    """The page's viewport exactly (a phone's at 390: mobile, so the meta viewport applies)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",  # type: ignore[attr-defined]
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


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

    # 8. A phone's width, words typed (the header of a model with a text tower): the header fits.
    set_viewport(browser, 390, 844)
    browser.get(web.url + "?q=a+very+long+description+of+a+red+ball+lying+in+the+green+grass+of+a+park")
    wait.until(lambda _: len(cards()) == 24)
    layout = browser.execute_script(LAYOUT)
    assert layout["innerWidth"] == 390 and layout["scrollWidth"] <= 390 and not layout["out"], layout
    shot(browser, "search-words-390")
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


def test_the_home_page_shows_the_library_fits_a_phone_and_says_why_it_refuses(
    browser, tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import http.server
    import threading

    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    monkeypatch.setenv("PHOTOFIND_MODEL", "pixel")
    lib = make_library(tmp_path)
    library(lib.root / "more", 30, start=100)
    Client(config.load()).answer(IndexRequest(paths=(str(lib.root),)))
    indexed = {str(p): p.stat().st_mtime_ns for p in lib.root.rglob("*.jpg") if p.name != "broken.jpg"}
    web = Server(isolated_home, tmp_path / "web.log", "web", "--port", "0")
    shot = Shots(tmp_path / "screenshots")
    wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    css = browser.find_elements

    def loaded(img: "object") -> bool:
        return bool(browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img))

    def all_loaded(selector: str) -> bool:
        images = css(By.CSS_SELECTOR, selector)
        return bool(images) and all(loaded(i) for i in images)

    def click(element: "object") -> None:  # into the middle of the view, clear of the sticky header
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()  # type: ignore[attr-defined]

    # 1. 1280 px: the newest photos (file time, newest first), then the folders, every image loaded.
    set_viewport(browser, 1280, 860)
    browser.get(web.url)
    recent = [c.get_attribute("data-path") for c in css(By.CSS_SELECTOR, "#recent .photo-card")]
    assert len(recent) == 12 and [indexed[p] for p in recent] == sorted(indexed.values(), reverse=True)[:12]
    folders = [c.get_attribute("data-path") for c in css(By.CSS_SELECTOR, "#folders .folder-card")]
    assert folders == [str(lib.root), str(lib / "more"), str(lib / "sub")]
    assert "30 photos" in css(By.CSS_SELECTOR, "#folders .folder-card")[1].text
    wait.until(lambda _: all_loaded("#recent img") and all_loaded("#folders img"))
    favicon = browser.execute_script("""
        const img = new Image(); img.src = document.querySelector('link[rel=icon]').href;
        await img.decode(); return [img.naturalWidth, img.src];""")
    assert favicon[0] > 0 and favicon[1].endswith("/static/favicon.svg")
    layout = browser.execute_script(LAYOUT)
    assert layout["scrollWidth"] <= layout["innerWidth"] == 1280 and not layout["out"], layout
    shot(browser, "home-1280")

    # 2. One click on a picture: more like this, from its stored vector.
    first = css(By.CSS_SELECTOR, "#recent .photo-card")[0]
    digest = first.get_attribute("data-hash")
    click(first.find_element(By.CSS_SELECTOR, "a.like"))
    wait.until(lambda _: "More like" in browser.find_element(By.ID, "caption").text)
    assert f"like={digest}" in browser.current_url
    assert recent[0] not in [c.get_attribute("data-path") for c in css(By.CSS_SELECTOR, "#grid .card")]
    assert len(css(By.CSS_SELECTOR, "#grid .card")) == 24

    # 3. A folder, then a photo in it: its near duplicate comes first.
    browser.get(web.url)
    click(css(By.CSS_SELECTOR, f'#folders .folder-card[data-path="{lib / "sub"}"]')[0])
    wait.until(lambda _: browser.find_elements(By.ID, "trail"))
    assert browser.find_element(By.ID, "trail").text == f"{lib.root} / sub"
    assert [c.get_attribute("data-path") for c in css(By.CSS_SELECTOR, ".photo-card")] == [str(lib / "sub" / "big3.jpg")]
    wait.until(lambda _: all_loaded(".photo-card img"))
    shot(browser, "folder-1280")
    click(css(By.CSS_SELECTOR, ".photo-card a.like")[0])
    wait.until(lambda _: css(By.CSS_SELECTOR, "#grid .card"))
    assert css(By.CSS_SELECTOR, "#grid .card")[0].get_attribute("data-path") == str(lib / "photo_0003.jpg")

    # 4. Every photo, a page at a time from "more recent photos".
    browser.get(web.url)
    click(browser.find_element(By.ID, "more-photos"))
    wait.until(lambda _: "/recent" in browser.current_url)
    paged = [c.get_attribute("data-path") for c in css(By.CSS_SELECTOR, ".photo-card")]
    assert sorted(recent + paged) == sorted(indexed)  # the 30 after the home page's 12: one page of 48
    assert not css(By.ID, "more-photos")

    # 5. 390 px, a phone: every page's header fits, nothing scrolls sideways, nothing is cut.
    set_viewport(browser, 390, 844)
    pages = {"home": web.url, "results": f"{web.url}?like={digest}", "folder": f"{web.url}folder?path={lib / 'more'}",
             "photo": f"{web.url}photo/{digest}", "status": f"{web.url}status", "dupes": f"{web.url}dupes",
             "k-error": f"{web.url}?like={digest}&k=-1"}
    for name, url in pages.items():
        browser.get(url)
        wait.until(lambda _: browser.execute_script("return document.readyState") == "complete")
        for filters in ("closed", "open"):
            layout = browser.execute_script(LAYOUT)
            assert layout["innerWidth"] == 390 and not layout["out"], (name, filters, layout)
            assert layout["scrollWidth"] <= layout["innerWidth"], (name, filters, layout)
            if filters == "closed":
                browser.execute_script("window.scrollTo(0, 0)")
                shot(browser, f"{name}-390")
                browser.execute_script("document.getElementById('filters').open = true")
        browser.execute_script("document.getElementById('filters').open = false")
    # the k refusal, as a person sees it
    assert "whole number from 1 to 1000" in browser.find_element(By.ID, "error").text
    assert "1 photos" not in browser.title and not css(By.CSS_SELECTOR, "#grid .card")
    browser.get(web.url)
    wait.until(lambda _: all_loaded("#recent img"))
    width = browser.execute_script("return document.documentElement.scrollHeight")
    set_viewport(browser, 390, min(width, 4000))
    shot(browser, "home-390-full")
    cards_at_390 = {round(c.rect["x"]) for c in css(By.CSS_SELECTOR, "#recent .photo-card")}
    assert len(cards_at_390) == 2  # two columns of photos on a phone

    # 6. A form on another site posting here: refused, and the page says it was the Origin.
    page = (f'<form method="post" action="{web.url}" enctype="multipart/form-data">'
            '<input name="q" value="a dog"><button id="go">search</button></form>').encode()

    class Foreign(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    foreign = http.server.HTTPServer(("127.0.0.1", 0), Foreign)
    threading.Thread(target=foreign.serve_forever, daemon=True).start()
    try:
        set_viewport(browser, 1280, 860)
        browser.get(f"http://{FOREIGN}:{foreign.server_port}/")
        browser.find_element(By.ID, "go").click()
        wait.until(lambda _: "refused" in browser.find_element(By.TAG_NAME, "body").text)
        said = browser.find_element(By.TAG_NAME, "body").text
        assert f"Origin: http://{FOREIGN}:{foreign.server_port}" in said and "Host header" not in said
        shot(browser, "refused-cross-origin")
    finally:
        foreign.shutdown()
        foreign.server_close()
    assert web.stop() == 0
