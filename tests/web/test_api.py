"""The page's HTTP API through Starlette's TestClient, on a real store built from real files:
queries, filters, photo pages, duplicates, status, thumbnails and their cache."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from photofind import config
from photofind.api.requests import IndexRequest
from photofind.api.client import Client
from photofind.store.thumbnails import thumb_path
from tests.helpers.images import scene
from tests.web.conftest import Lib


def names(body: dict) -> list[str]:
    return [Path(m["path"]).name for m in body["matches"]]


def test_words_are_refused_with_the_reason_when_the_model_has_no_text_tower(client) -> None:
    page = client.get("/")
    field = re.search(r'<input type="search"[^>]*>', page.text, re.S).group(0)
    assert "disabled" in field and "no text tower" in field
    res = client.get("/api/search", params={"q": "a dog"})
    assert res.status_code == 400 and "no text tower" in res.json()["error"]


def test_more_like_this_uses_the_stored_vector_and_leaves_the_photo_out(client, lib: Lib) -> None:
    digest = lib.hash("photo_0001.jpg")
    body = client.get("/api/search", params={"like": digest, "k": 50}).json()
    assert body["query_was_indexed"] and body["query"] == str(lib / "copy.jpg")  # named by its first path
    assert digest not in {m["hash"] for m in body["matches"]}  # neither the photo nor its copy
    assert len(body["matches"]) == 10  # 12 indexed files (link.jpg too) less photo_0001 and copy.jpg
    page = client.get("/", params={"like": digest, "k": 3})
    assert page.text.count('class="card"') == 3 and 'id="more"' in page.text  # k grows with "more"
    assert "k=27#r4" in re.search(r'id="more"[^>]*href="([^"]+)"', page.text).group(1)  # one more screenful


def test_filters_are_the_clis(client, lib: Lib) -> None:
    like = lib.hash("photo_0003.jpg")
    inside = client.get("/api/search", params={"like": like, "in": str(lib / "sub")}).json()
    assert names(inside) == ["big3.jpg"]
    mid_2023 = client.get("/api/search", params={"like": like, "since": "2023-06-01", "until": "2023-06-30"}).json()
    assert sorted(names(mid_2023)) == ["big3.jpg", "copy.jpg", "photo_0000.jpg", "photo_0001.jpg", "photo_0002.jpg"]
    assert all(m["taken"].startswith("2023-06") for m in mid_2023["matches"])
    close = client.get("/api/search", params={"like": like, "min_score": "0.99"}).json()
    assert names(close) == ["big3.jpg"] and close["matches"][0]["score"] >= 0.99
    l1 = client.get("/api/search", params={"like": like, "metric": "l1"}).json()
    assert l1["metric"] == "l1" and not l1["higher_is_better"]
    assert [m["score"] for m in l1["matches"]] == sorted(m["score"] for m in l1["matches"])
    bad = client.get("/api/search", params={"like": like, "since": "June"})
    assert bad.status_code == 400 and "is not a date" in bad.json()["error"]
    page = client.get("/", params={"like": like, "in": str(lib / "sub")})
    assert page.text.count('class="card"') == 1 and "<details id=\"filters\" open" in page.text


def test_query_by_upload_is_decoded_in_memory_and_never_indexed(client, lib: Lib, settings: config.Settings) -> None:
    before = sorted(p.name for p in lib.root.rglob("*"))
    buf = io.BytesIO()
    scene(5, (400, 300)).save(buf, "PNG")  # photo_0005's scene, never indexed in this form
    res = client.post("/api/search", files={"image": ("query.png", buf.getvalue(), "image/png")}, data={"k": "3"})
    body = res.json()
    assert res.status_code == 200 and not body["query_was_indexed"] and body["query"] == "query.png"
    assert names(body)[0] == "photo_0005.jpg"
    same = client.post("/api/search", files={"image": ("x.jpg", (lib / "photo_0002.jpg").read_bytes())}).json()
    assert same["query_was_indexed"] and names(same)[0] == "photo_0002.jpg"  # its own indexed copy comes first
    page = client.post("/", files={"image": ("query.png", buf.getvalue(), "image/png")})
    assert page.status_code == 200 and "Most like the photo you gave" in page.text and 'class="card"' in page.text
    assert sorted(p.name for p in lib.root.rglob("*")) == before
    status = client.get("/status").text
    assert "12 indexed, 11 unique images, 1 skipped" in status  # nothing was added to the index


def test_words_posted_from_the_form_become_a_shareable_address(client, lib: Lib) -> None:
    res = client.post("/", data={"like": lib.hash("photo_0003.jpg"), "k": "5", "in": str(lib / "sub")},
                      follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/?")
    assert "big3.jpg" in client.get(res.headers["location"]).text


def test_photo_page_shows_paths_copies_size_date_and_links(client, lib: Lib) -> None:
    digest = lib.hash("photo_0001.jpg")
    page = client.get(f"/photo/{digest}").text
    assert str(lib / "photo_0001.jpg") in page and str(lib / "copy.jpg") in page and "2 identical copies" in page
    assert "160 × 120 pixels" in page and "2023-06-16 12:00" in page  # the first copy's file time
    assert f'href="/?like={digest}"' in page and f'href="/original/{digest}"' in page
    original = client.get(f"/original/{digest}")
    assert original.status_code == 200 and original.content == (lib / "copy.jpg").read_bytes()
    rotated = client.get(f"/photo/{lib.hash('rot.jpg')}").text
    assert "120 × 80 pixels" in rotated and "2022-05-01 10:00" in rotated and "EXIF" in rotated
    assert client.get("/photo/" + "0" * 64).status_code == 404


def test_thumbnails_are_upright_cached_by_hash_and_size_and_revalidated(client, lib: Lib, settings) -> None:
    digest = lib.hash("rot.jpg")
    res = client.get(f"/thumb/{digest}/256")
    assert res.status_code == 200 and res.headers["content-type"] == "image/jpeg"
    assert res.headers["etag"] == f'"{digest}-256"' and res.headers["cache-control"].startswith("private, max-age=")
    thumb = Image.open(io.BytesIO(res.content))
    with Image.open(lib / "rot.jpg") as stored:
        assert stored.size == (80, 120)  # stored sideways
    assert thumb.size == (120, 80)  # upright, and never enlarged
    cached = thumb_path(settings.store.cache_dir, digest, 256)
    assert cached.is_file() and cached.read_bytes() == res.content
    again = client.get(f"/thumb/{digest}/256", headers={"If-None-Match": res.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == res.headers["etag"]
    big = client.get(f"/thumb/{lib.hash('sub/big3.jpg')}/256")
    assert Image.open(io.BytesIO(big.content)).size == (256, 192)
    assert client.get(f"/thumb/{digest}/300").status_code == 404  # only the page's own sizes


def test_duplicates_page_groups_side_by_side_marks_the_keeper_and_says_why(client, lib: Lib) -> None:
    page = client.get("/dupes").text
    groups = re.findall(r'<section class="group" data-kind="(\w+)"[^>]*>(.*?)</section>', page, re.S)
    kinds = {kind: body for kind, body in groups}
    assert set(kinds) == {"exact", "near"}
    assert "identical bytes" in kinds["exact"] and str(lib / "copy.jpg") in kinds["exact"]
    assert re.search(r"same picture: pHash \d+ bits, largest tile difference [\d.]+ %", kinds["near"])
    keeper = re.search(r'<figure class="member keeper" data-path="([^"]+)"', kinds["near"]).group(1)
    assert keeper == str(lib / "sub" / "big3.jpg")  # the most pixels
    assert re.search(r"Checked files go to the desktop trash,\s+never deleted", page)
    exact_only = client.get("/dupes", params={"exact_only": "1"}).text
    assert exact_only.count('<section class="group"') == 1
    # each group says its tier plainly
    tiers = dict(re.findall(r'<section class="group" data-kind="(\w+)" data-tier="(\w+)"', page))
    assert tiers == {"exact": "identical", "near": "same"}
    assert '<span class="tier tier-identical">identical bytes</span>' in page
    assert '<span class="tier tier-same">same picture</span>' in page
    assert 'href="/dupes?edits=1"' in page and client.get("/dupes", params={"edits": "1"}).status_code == 200


def test_status_page_lists_roots_counts_skipped_reasons_and_collections(client, lib: Lib) -> None:
    page = client.get("/status").text
    assert str(lib.root) in page and "12 indexed, 11 unique images, 1 skipped" in page
    assert "not a readable image (unknown format)" in page and str(lib / "broken.jpg") in page
    assert "pixel-32" in page and "Idle" in page
    assert client.get("/api/activity").json() == {"indexing": False, "done": 0, "total": 0, "skipped": 0,
                                                  "rate": 0.0, "eta_seconds": None, "pending": 0}


def test_thumbnails_go_with_their_vector_and_stale_ones_are_swept_at_start(lib: Lib, settings: config.Settings) -> None:
    from starlette.testclient import TestClient

    from photofind.api.client import LocalSession
    from photofind.web.app import create_app

    gone, kept = lib.hash("photo_0006.jpg"), lib.hash("photo_0007.jpg")
    answerer = LocalSession(settings)
    with TestClient(create_app(answerer, settings), base_url="http://localhost:8765") as client:
        for digest in (gone, kept):
            assert client.get(f"/thumb/{digest}/256").status_code == 200
    answerer.close()
    (lib / "photo_0006.jpg").unlink()
    report = Client(settings).answer(IndexRequest(model="pixel"))  # `photofind reindex`: the vector is collected
    assert report.collected == 1
    assert not thumb_path(settings.store.cache_dir, gone, 256).exists()
    assert thumb_path(settings.store.cache_dir, kept, 256).exists()
    stale = thumb_path(settings.store.cache_dir, "f" * 64, 640)  # left by a process killed mid-way
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"old")
    LocalSession(settings).close()
    assert not stale.exists() and thumb_path(settings.store.cache_dir, kept, 256).exists()
