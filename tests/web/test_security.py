"""What keeps the page local and its files the catalogued photos only, each case through the
real app and a real store: Host checks, path tricks, symlinks out of the roots, upload limits."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from photofind import config
from tests.helpers.images import scene
from tests.web.conftest import Lib


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.nip.io:8765", "localhost.evil.example"])
def test_a_foreign_host_header_is_refused_dns_rebinding(client, lib: Lib, host: str) -> None:
    for url in ("/", f"/thumb/{lib.hash('photo_0001.jpg')}/256", "/api/activity", "/static/app.js"):
        res = client.get(url, headers={"Host": host})
        assert res.status_code == 403 and "Host header" in res.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "localhost", "[::1]:8765"])
def test_loopback_names_are_answered(client, host: str) -> None:
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_a_cross_site_post_is_refused(client, lib: Lib) -> None:
    image = (lib / "photo_0001.jpg").read_bytes()
    res = client.post("/api/search", files={"image": ("a.jpg", image)}, headers={"Origin": "https://evil.example"})
    assert res.status_code == 403
    ok = client.post("/api/search", files={"image": ("a.jpg", image)}, headers={"Origin": "http://127.0.0.1:8765"})
    assert ok.status_code == 200


@pytest.mark.parametrize("url", [
    "/thumb?path=/etc/passwd",
    "/original?path=/etc/passwd",
    "/thumb/..%2f..%2f..%2fetc%2fpasswd/256",
    "/original/..%2f..%2fetc%2fpasswd",
    "/static/..%2f..%2fpyproject.toml",
    "/static/%2e%2e/app.py",
    "/photo/..%2f..%2fetc%2fpasswd",
    "/original/" + "0" * 64,
    "/thumb/" + "0" * 64 + "/256",
])
def test_files_are_served_by_catalogued_hash_only(client, url: str) -> None:
    res = client.get(url)
    assert res.status_code == 404, url
    assert b"root:" not in res.content and b"photofind" not in res.content[:200]


def test_a_symlink_out_of_the_roots_is_catalogued_but_never_served(client, lib: Lib) -> None:
    digest = lib.hash("link.jpg")  # the link's target, outside every root
    page = client.get(f"/photo/{digest}")
    assert page.status_code == 200 and "outside the indexed folders: not served" in page.text
    assert client.get(f"/thumb/{digest}/256").status_code == 404
    assert client.get(f"/original/{digest}").status_code == 404


def test_a_file_changed_since_it_was_indexed_is_not_served_under_the_old_hash(client, lib: Lib) -> None:
    digest = lib.hash("photo_0004.jpg")
    scene(99).save(lib / "photo_0004.jpg", quality=90)  # other bytes under the catalogued path
    assert client.get(f"/original/{digest}").status_code == 404
    assert client.get(f"/thumb/{digest}/640").status_code == 404


def test_an_upload_above_the_size_limit_gets_413(lib: Lib, settings: config.Settings, monkeypatch) -> None:
    from starlette.testclient import TestClient

    from photofind.api.client import LocalSession
    from photofind.web.app import create_app

    monkeypatch.setenv("PHOTOFIND_WEB_MAX_UPLOAD_MB", "1")
    small = config.load()
    answerer = LocalSession(small)
    try:
        client = TestClient(create_app(answerer, small), base_url="http://127.0.0.1:8765")
        big = bytes(range(256)) * (5 << 10)  # 1.25 MB
        res = client.post("/api/search", files={"image": ("big.jpg", big)})
        assert res.status_code == 413 and "larger than 1 MB" in res.json()["error"]
        page = client.post("/", files={"image": ("big.jpg", big)})
        assert page.status_code == 413 and "larger than 1 MB" in page.text

        def chunked():  # no Content-Length: counted while it streams in
            yield b"--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"x.jpg\"\r\n\r\n"
            for _ in range(40):
                yield b"\0" * (64 << 10)
        res = client.post("/api/search", content=chunked(), headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert res.status_code == 413
    finally:
        answerer.close()


def test_a_decompression_bomb_is_refused_with_413(lib: Lib, monkeypatch) -> None:
    from starlette.testclient import TestClient

    from photofind.api.client import LocalSession
    from photofind.web.app import create_app

    monkeypatch.setenv("PHOTOFIND_INDEX_MAX_PIXELS", "10000")  # the same guard as indexing, at 0.01 MP
    guarded = config.load()
    buf = io.BytesIO()
    Image.new("L", (400, 300)).save(buf, "PNG")  # 120,000 pixels in a few hundred bytes
    answerer = LocalSession(guarded)
    try:
        client = TestClient(create_app(answerer, guarded), base_url="http://127.0.0.1:8765")
        res = client.post("/api/search", files={"image": ("bomb.png", buf.getvalue())})
        assert res.status_code == 413 and "image too large" in res.json()["error"]
    finally:
        answerer.close()


@pytest.mark.parametrize("data", [b"%PDF-1.4 not a photo", b"\xff\xd8\xff\xe0 truncated jpeg", b"GIF89a"])
def test_a_non_image_upload_gets_a_message_and_a_4xx(client, data: bytes) -> None:
    res = client.post("/api/search", files={"image": ("x.jpg", data)})
    assert 400 <= res.status_code < 500 and "image" in res.json()["error"]
    page = client.post("/", files={"image": ("x.jpg", data)})
    assert 400 <= page.status_code < 500 and 'id="error"' in page.text and "image" in page.text


def test_every_answer_forbids_foreign_assets_framing_and_sniffing(client, lib: Lib) -> None:
    for url in ("/", "/status", f"/thumb/{lib.hash('photo_0001.jpg')}/256", "/static/app.js", "/nowhere"):
        headers = client.get(url).headers
        assert "default-src 'self'" in headers["content-security-policy"], url
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
    page = client.get("/").text
    assert not re.search(r'(src|href)="(https?:)?//', page)  # every asset from this server


def test_the_original_is_served_inline_as_its_own_type(client, lib: Lib) -> None:
    res = client.get(f"/original/{lib.hash('photo_0003.jpg')}")
    assert res.headers["content-type"] == "image/jpeg" and res.headers["content-disposition"].startswith("inline")
