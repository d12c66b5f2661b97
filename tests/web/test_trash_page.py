"""The duplicates page's actions through the real app and a real store (Starlette's TestClient,
the pixel model): checkboxes with the keeper unchecked, "Move selected to trash" into a real
trash directory under the test's own XDG_DATA_HOME, "Restore", and the refusals: a request
without the page's token or from another origin is 403 and moves nothing."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest

from tests.web.conftest import BASE, Lib

TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


def trash_files() -> list[Path]:
    files = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    return sorted(files.iterdir()) if files.is_dir() else []


def boxes(html: str) -> dict[str, bool]:
    """path -> checked, for every 'move to trash' checkbox on the page."""
    found = re.findall(r'<input type="checkbox" name="move" value="([^"]+)"\s+data-bytes="\d+"( checked)?>', html)
    return {path: bool(checked) for path, checked in found}


def test_each_group_has_checkboxes_with_the_suggested_keeper_unchecked(client, lib: Lib) -> None:
    page = client.get("/dupes")
    assert page.status_code == 200
    found = boxes(page.text)
    # photo_0001 and its byte copy (the older one is kept); the small scene 3 and its bigger re-encode
    assert found == {str(lib / "photo_0001.jpg"): False, str(lib / "copy.jpg"): True,
                     str(lib / "photo_0003.jpg"): True, str(lib / "sub" / "big3.jpg"): False}
    assert 'id="trash-button"' in page.text and 'id="restore"' not in page.text  # nothing to restore yet


@pytest.mark.parametrize("case", ["no token", "wrong token", "no origin", "foreign origin", "other port"])
def test_a_request_without_the_token_or_from_elsewhere_is_refused_and_moves_nothing(client, lib: Lib, case: str) -> None:
    token = TOKEN.search(client.get("/dupes").text).group(1)
    form = {"csrf": token, "move": str(lib / "copy.jpg")}
    headers = {"Origin": BASE}
    if case == "no token":
        del form["csrf"]
    elif case == "wrong token":
        form["csrf"] = token[:-2] + ("xy" if not token.endswith("xy") else "zz")
    elif case == "no origin":
        headers = {}
    elif case == "foreign origin":
        headers = {"Origin": "https://evil.example"}
    else:
        headers = {"Origin": "http://127.0.0.1:9999"}
    res = client.post("/dupes/trash", data=form, headers=headers)
    assert res.status_code == 403
    assert "nothing was moved" in res.text or "nothing was done" in res.text
    assert (lib / "copy.jpg").exists() and trash_files() == []
    res = client.post("/dupes/restore", data={"csrf": form.get("csrf", "")}, headers=headers)
    assert res.status_code == 403


def test_state_changes_are_post_only(client, lib: Lib) -> None:
    assert client.get("/dupes/trash", params={"move": str(lib / "copy.jpg")}).status_code == 405
    assert client.get("/dupes/restore").status_code == 405
    assert (lib / "copy.jpg").exists()


def test_move_selected_to_trash_then_restore(client, lib: Lib) -> None:
    before = {p: hashlib.sha256((lib / p).read_bytes()).hexdigest() for p in ("copy.jpg", "photo_0003.jpg")}
    token = TOKEN.search(client.get("/dupes").text).group(1)
    chosen = [str(lib / "copy.jpg"), str(lib / "photo_0003.jpg")]
    res = client.post("/dupes/trash", data={"csrf": token, "move": chosen}, headers={"Origin": BASE})
    assert res.status_code == 200
    assert 'id="done"' in res.text and 'data-count="2"' in res.text
    assert not (lib / "copy.jpg").exists() and not (lib / "photo_0003.jpg").exists()
    assert sorted(p.name for p in trash_files()) == ["copy.jpg", "photo_0003.jpg"]
    assert boxes(res.text) == {}  # the catalog followed: no group is left
    assert 'id="restore"' in res.text and 'id="restore-button"' in res.text

    res = client.post("/dupes/restore", data={"csrf": token}, headers={"Origin": BASE})
    assert res.status_code == 200 and 'data-what="restore"' in res.text and 'data-count="2"' in res.text
    after = {p: hashlib.sha256((lib / p).read_bytes()).hexdigest() for p in before}
    assert after == before and trash_files() == []
    assert set(boxes(res.text)) == {str(lib / "photo_0001.jpg"), str(lib / "copy.jpg"),
                                    str(lib / "photo_0003.jpg"), str(lib / "sub" / "big3.jpg")}


def test_selecting_every_copy_keeps_the_suggested_keeper(client, lib: Lib) -> None:
    token = TOKEN.search(client.get("/dupes").text).group(1)
    both = [str(lib / "photo_0001.jpg"), str(lib / "copy.jpg")]
    res = client.post("/dupes/trash", data={"csrf": token, "move": both}, headers={"Origin": BASE})
    assert res.status_code == 200
    assert (lib / "photo_0001.jpg").exists() and not (lib / "copy.jpg").exists()
    assert "every copy of its group was selected" in res.text


def test_served_to_the_network_a_browser_elsewhere_may_look_but_never_move_or_restore(lib: Lib, settings) -> None:
    """`web --host 0.0.0.0`: the page is reachable from the LAN (there is no login), so a peer
    that is not this computer sees the groups without checkboxes and is refused 403 even with
    the page's token and a matching Origin."""
    import socket

    from starlette.testclient import TestClient

    from photofind.api.client import LocalSession
    from photofind.web.app import create_app

    lan = f"http://{socket.gethostname()}:8765"  # how a LAN browser addresses this machine
    answerer = LocalSession(settings)
    try:
        app = create_app(answerer, settings, host="0.0.0.0")
        with TestClient(app, base_url=lan, client=("192.168.1.20", 50000)) as remote, \
                TestClient(app, base_url=lan, client=("127.0.0.1", 50001)) as here:
            page = remote.get("/dupes")
            assert page.status_code == 200 and str(lib / "copy.jpg") in page.text  # looking is allowed
            assert boxes(page.text) == {} and 'id="trash-button"' not in page.text and 'id="view-only"' in page.text
            token = TOKEN.search(here.get("/dupes").text).group(1)  # even with a valid token
            res = remote.post("/dupes/trash", data={"csrf": token, "move": str(lib / "copy.jpg")},
                              headers={"Origin": lan})
            assert res.status_code == 403 and "192.168.1.20" in res.text and "nothing was moved" in res.text
            assert (lib / "copy.jpg").exists() and trash_files() == []
            assert remote.post("/dupes/restore", data={"csrf": token}, headers={"Origin": lan}).status_code == 403
            # the same request from this computer moves the file
            res = here.post("/dupes/trash", data={"csrf": token, "move": str(lib / "copy.jpg")}, headers={"Origin": lan})
            assert res.status_code == 200 and not (lib / "copy.jpg").exists()
    finally:
        answerer.close()
