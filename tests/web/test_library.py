"""The home page without a query (the library: newest photos, then folders, paged), checked
against the files on disk through the real app and a real store; the `k` check, the
cross-origin refusal's reason and the favicon. The browser half is in test_browser.py."""

from __future__ import annotations

import os
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest

from photofind import config
from photofind.api.requests import BrowseRequest, IndexRequest
from photofind.api.client import Client
from photofind.browse_pages import browse
from photofind.store.catalog import Catalog, FileRow
from tests.helpers.images import library
from tests.web.conftest import BASE, Lib, sha, stamp


@pytest.fixture
def grown(lib: Lib, settings: config.Settings) -> Lib:
    """The web tests' library and 4 newer photos in more/: 16 indexed files, more than the home page shows."""
    library(lib / "more", 4, start=100)
    Client(settings).answer(IndexRequest(model="pixel"))
    return lib


@pytest.fixture
def answerer(grown: Lib, settings: config.Settings) -> Iterator["object"]:
    from photofind.api.client import LocalSession

    local = LocalSession(settings)
    try:
        yield local
    finally:
        local.close()


@pytest.fixture
def web(answerer, settings: config.Settings) -> Iterator["object"]:
    from starlette.testclient import TestClient

    from photofind.web.app import create_app

    with TestClient(create_app(answerer, settings), base_url=BASE) as test_client:
        yield test_client


def indexed_files(root: Path) -> dict[str, int]:
    """path -> mtime_ns of every file the index holds, read from the disk (the broken one is skipped)."""
    return {str(p): os.stat(p).st_mtime_ns for p in root.rglob("*.jpg") if p.name != "broken.jpg"}


def cards(html: str, section: str) -> list[str]:
    body = re.search(rf'<section id="{section}">(.*?)</section>', html, re.S)
    return re.findall(r'class="card [\w-]+" [^>]*data-path="([^"]+)"', body.group(1)) if body else []


def test_the_home_page_shows_the_newest_photos_then_the_folders(web, grown: Lib) -> None:
    lib = grown
    truth = indexed_files(lib.root)
    page = web.get("/")
    assert page.status_code == 200
    newest = cards(page.text, "recent")
    assert len(newest) == 12 and len(set(newest)) == 12  # two rows; 16 files are indexed
    assert [truth[p] for p in newest] == sorted(truth.values(), reverse=True)[:12]
    for path in newest:  # each picture is one click from "more like this"
        digest = sha(Path(path))
        assert f'<a class="like" href="/?like={digest}"' in page.text and f'href="/photo/{digest}"' in page.text
    assert cards(page.text, "folders") == [str(lib.root), str(lib / "more"), str(lib / "sub")]
    assert re.search(r'data-path="%s">.*?16 photos' % re.escape(str(lib.root)), page.text, re.S)
    assert re.search(r'data-path="%s">.*?1 photo<' % re.escape(str(lib / "sub")), page.text, re.S)
    more = re.search(r'id="more-photos" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    rest = cards(web.get(more).text, "recent")
    assert sorted(newest + rest) == sorted(truth)  # the next page holds the 4 left
    # "more like this" from a card: the photo's own address, answered from its stored vector
    like = web.get(re.search(r'<a class="like" href="([^"]+)"', page.text).group(1))
    assert like.status_code == 200 and "More like" in like.text and 'class="card"' in like.text


def test_every_photo_and_folder_is_paged_exactly_once(grown: Lib, answerer) -> None:
    lib = grown
    truth = indexed_files(lib.root)
    seen, after, pages = [], "", 0
    while True:
        page = answerer(BrowseRequest(photos=3, folders=0, after=after))
        seen += [p.path for p in page.photos]
        pages += 1
        if page.photos_next is None:
            break
        after = page.photos_next
    assert sorted(seen) == sorted(truth) and len(seen) == len(truth) == 16 and pages == 6  # 3 a page
    assert [truth[p] for p in seen] == sorted(truth.values(), reverse=True)  # ties (same file time) too
    root = answerer(BrowseRequest(folder=str(lib.root), photos=4))
    direct = sorted(p for p in truth if Path(p).parent == lib.root)
    assert [p.path for p in root.photos] == direct[:4] and root.trail == [str(lib.root)]
    assert [f.path for f in root.folders] == [str(lib / "more"), str(lib / "sub")]  # not among its photos
    rest = answerer(BrowseRequest(folder=str(lib.root), photos=100, after=root.photos_next))
    assert [p.path for p in rest.photos] == direct[4:] and rest.photos_next is None


def test_folders_at_any_depth_and_awkward_names_are_listed_once_paged(
    tmp_path: Path, settings: config.Settings
) -> None:
    root = tmp_path / "pics"
    names = [f"f{i:02d}" for i in range(10)] + ["a b", "a.b", "a", "a0", "é"]
    for i, name in enumerate(names):
        library(root / name, 1, start=i, size=(32, 24))
    library(root / "f03" / "deep" / "deeper", 2, start=40, size=(32, 24))  # only in a sub-subfolder
    library(root, 3, start=50, size=(32, 24))  # loose photos in the root itself, among the folders
    (root / "empty").mkdir()
    (root / "only-broken").mkdir()
    (root / "only-broken" / "x.jpg").write_bytes(b"not a photo")
    Client(settings).answer(IndexRequest(paths=(str(root),), model="pixel"))
    want = [str(root)] + sorted(str(root / n) for n in names)  # sorted as the catalog sorts paths
    want = [str(root)] + sorted(want[1:], key=lambda p: (p + "/").encode())
    from photofind.api.client import LocalSession

    local = LocalSession(settings)
    try:
        got, after = [], ""
        while True:
            page = local(BrowseRequest(photos=0, folders=4, folders_after=after))
            got += [f.path for f in page.folders]
            if page.folders_next is None:
                break
            after = page.folders_next
        assert got == want
        assert {f.path: f.photos for f in local(BrowseRequest(photos=0, folders=50)).folders}[str(root / "f03")] == 3
        f03 = local(BrowseRequest(folder=str(root / "f03")))
        assert [f.path for f in f03.folders] == [str(root / "f03" / "deep")] and len(f03.photos) == 1
        deeper = local(BrowseRequest(folder=str(root / "f03" / "deep" / "deeper")))
        assert deeper.trail == [str(root), str(root / "f03"), str(root / "f03" / "deep"), str(root / "f03" / "deep" / "deeper")]
        assert len(deeper.photos) == 2 and not deeper.folders
    finally:
        local.close()


def test_an_empty_library_says_how_to_fill_it(tmp_path: Path, settings: config.Settings) -> None:
    from starlette.testclient import TestClient

    from photofind.api.client import LocalSession
    from photofind.web.app import create_app

    (tmp_path / "empty").mkdir()
    Client(settings).answer(IndexRequest(paths=(str(tmp_path / "empty"),), model="pixel"))
    local = LocalSession(settings)
    try:
        with TestClient(create_app(local, settings), base_url=BASE) as client:
            page = client.get("/")
            assert page.status_code == 200 and "Nothing is indexed yet" in page.text
            assert 'id="recent"' not in page.text and 'id="folders"' not in page.text
            assert "No indexed photo here" in client.get("/recent").text
    finally:
        local.close()


def test_a_folder_page_and_its_refusals(web, grown: Lib) -> None:
    lib = grown
    page = web.get("/folder", params={"path": str(lib / "sub")})
    assert page.status_code == 200 and cards(page.text, "recent") == [str(lib / "sub" / "big3.jpg")]
    assert f'href="/folder?path={str(lib.root).replace("/", "%2F")}"' in page.text  # the trail back up
    for params, why in (({"path": "/etc"}, "is not inside an indexed folder"), ({}, "which folder?")):
        bad = web.get("/folder", params=params)
        assert bad.status_code == 400 and why in bad.text
    assert web.get("/recent", params={"after": "yesterday"}).status_code == 400


@pytest.mark.slow
def test_a_page_costs_the_same_at_any_library_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own instruction count for the home page, a later page of the newest photos and
    a folder's page, at two library sizes: the same (no query reads the whole table). A
    folder's page costs what lies directly in it (30 photos here) whatever the library's size."""

    def build(n: int) -> Catalog:
        catalog = Catalog(tmp_path / f"catalog-{n}.sqlite")
        rows = [FileRow(f"/lib/album-{i % 10:02d}/IMG_{i:06d}.jpg", f"{i:064x}", 1000, 10**18 + i * 7919 % n, "ok")
                for i in range(n)]
        rows += [FileRow(f"/lib/trip/{sub}IMG_{i:03d}.jpg", f"{i:063x}f", 1000, 10**17 + i, "ok")
                 for sub in ("", "day1/", "day2/") for i in range(30)]
        with catalog.transaction():
            catalog.upsert(rows)
        return catalog

    def steps(catalog: Catalog) -> list[int]:
        counted = [0]

        def tick() -> int:
            counted[0] += 1
            return 0

        catalog.db.set_progress_handler(tick, 100)
        out = []
        for ask in (lambda: browse(catalog, ["/lib"]),
                    lambda: browse(catalog, ["/lib"], after=browse(catalog, ["/lib"]).photos_next or ""),
                    lambda: browse(catalog, ["/lib"], folder="/lib/trip")):
            counted[0] = 0
            assert ask().photos
            out.append(counted[0])
        catalog.close()
        return out

    from photofind.store import browsing

    monkeypatch.setattr(browsing, "COUNT_CAP", 1000)  # so that each album is past it at both sizes
    small, big = steps(build(20_000)), steps(build(40_000))
    assert all(b <= s * 1.2 + 10 for s, b in zip(small, big)), (small, big)
    tiny, ran = build(10), []
    tiny.db.set_trace_callback(ran.append)
    browse(tiny, ["/lib"], after=browse(tiny, ["/lib"], photos=2).photos_next or "")
    tiny.db.set_trace_callback(None)
    plans = [" ".join(r[-1] for r in tiny.db.execute(f"EXPLAIN QUERY PLAN {sql}")) for sql in ran]
    assert len(plans) > 5 and all("TEMP B-TREE" not in p for p in plans), plans  # nothing sorted per view
    assert all("SCAN files" not in p or "INDEX files_recent" in p for p in plans), plans


def test_a_store_from_the_previous_schema_gains_the_index(tmp_path: Path) -> None:
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    db = sqlite3.connect(path)
    db.execute("DROP INDEX files_recent")
    db.execute("DROP INDEX files_skipped_path")
    db.execute("ALTER TABLE fingerprints DROP COLUMN colour")  # schema 6's column: a real schema-4 store has none
    db.execute("PRAGMA user_version = 4")
    db.commit()
    db.close()
    catalog = Catalog(path)
    names = {n for (n,) in catalog.db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"files_recent", "files_skipped_path"} <= names
    catalog.close()


@pytest.mark.parametrize("k", ["-1", "0", "abc", "2.5", "1001"])
def test_a_bad_k_is_a_400_with_its_reason(web, lib: Lib, k: str) -> None:
    like = lib.hash("photo_0001.jpg")
    for params in ({"k": k}, {"like": like, "k": k}):
        page = web.get("/", params=params)
        assert page.status_code == 400, (params, page.status_code)
        assert "must be a whole number from 1 to 1000" in page.text and repr(k) in page.text.replace("&#39;", "'")
        assert "1 photos" not in page.text and 'class="card"' not in page.text
        assert 'name="k" id="k" value=""' in page.text  # the form does not send it again
    api = web.get("/api/search", params={"like": like, "k": k})
    assert api.status_code == 400 and "whole number from 1 to 1000" in api.json()["error"]
    posted = web.post("/", data={"q": "x", "k": k}, follow_redirects=False)
    assert posted.status_code == 400


def test_k_at_the_limit_shows_no_more_button_and_one_match_is_one_photo(web, lib: Lib) -> None:
    like = lib.hash("photo_0001.jpg")
    assert 'id="more"' not in web.get("/", params={"like": like, "k": 1000}).text
    one = web.get("/", params={"like": like, "k": 1})
    assert one.status_code == 200 and "<title>1 photo · photofind</title>" in one.text


def test_a_cross_origin_post_is_refused_naming_the_origin(web, lib: Lib) -> None:
    image = (lib / "photo_0001.jpg").read_bytes()
    res = web.post("/", files={"image": ("a.jpg", image)}, headers={"Origin": "https://evil.example"})
    assert res.status_code == 403
    assert "Origin" in res.text and "https://evil.example" in res.text and "Host header" not in res.text
    host = web.get("/", headers={"Host": "evil.example"})
    assert host.status_code == 403 and "Host header" in host.text and "Origin" not in host.text


def test_the_favicon_is_served_from_the_package(web) -> None:
    page = web.get("/").text
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    for url in (link, "/favicon.ico"):
        res = web.get(url)
        assert res.status_code == 200 and res.headers["content-type"].startswith("image/svg+xml")
        svg = ET.fromstring(res.content)
        assert svg.tag == "{http://www.w3.org/2000/svg}svg" and len(svg) >= 3  # a drawing, not an empty file
    assert web.get("/favicon.ico", headers={"Host": "evil.example"}).status_code == 403


@pytest.mark.slow
def test_the_library_through_a_watch_daemon_follows_the_folder(tmp_path: Path, isolated_home: Path) -> None:
    """`photofind web` answered by a running `photofind watch` (the page crosses its socket as
    JSON), and `watch --web`: a photo copied in heads the newest photos."""
    import httpx

    from tests.helpers.processes import Server
    from tests.helpers.waiting import wait_until

    root = tmp_path / "photos"
    for i, p in enumerate(library(root / "2023", 4)):
        stamp(p, f"2023-06-1{i}T12:00:00")
    watch = Server(isolated_home, tmp_path / "watch.log", "watch", str(root), "-m", "pixel", "--web", "--port", "0")
    wait_until(lambda: "4 indexed" in httpx.get(watch.url + "status").text, what="the start-up scan")
    web = Server(isolated_home, tmp_path / "web.log", "web", "--port", "0", "-m", "pixel")
    assert f"answered by photofind watch (pid {watch.proc.pid})" in web.text()
    for url in (web.url, watch.url):
        page = httpx.get(url).text
        assert cards(page, "recent") == [str(root / "2023" / f"photo_{i:04d}.jpg") for i in (3, 2, 1, 0)]
        assert cards(page, "folders") == [str(root), str(root / "2023")]
    new = library(root / "new", 1, start=50)[0]  # now: the newest file time
    wait_until(lambda: cards(httpx.get(web.url).text, "recent")[:1] == [str(new)], what="the new photo on the page")
    folder = httpx.get(web.url + "folder", params={"path": str(root / "new")})
    assert folder.status_code == 200 and cards(folder.text, "recent") == [str(new)]
    assert web.stop() == 0 and watch.stop() == 0
