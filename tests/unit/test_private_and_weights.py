"""The parts of the private store and of the first CLIP run that the CLI tests cannot pin down
(tests/e2e/test_private.py and test_first_run.py run the whole thing): the umask a store holds
and gives back, what tightening leaves alone, and the time bound of the hub probe."""

from __future__ import annotations

import logging
import os
import socket
import stat
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image

from photofind.embedders.weights import HubFile, probe
from photofind.errors import ModelUnavailableError
from photofind.private import readable_by_others, tighten
from photofind.store.store import Store
from photofind.store.thumbnails import ThumbCache


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    before = os.umask(0o022)
    yield
    os.umask(before)


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_a_store_holds_a_private_umask_while_open_and_gives_the_users_back(tmp_path: Path) -> None:
    first = Store(tmp_path / "a", "test")
    second = Store(tmp_path / "b", "test")
    assert current_umask() == 0o077
    out = tmp_path / "made-meanwhile.txt"
    out.write_text("x")
    assert mode(out) == 0o600
    first.close()  # closed out of order: the other store still holds it
    assert current_umask() == 0o077
    second.close()
    assert current_umask() == 0o022  # `like --html`/`--grid` written after this are the user's as usual
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "catalog.sqlite") == 0o600


def test_tightening_leaves_symlinked_files_outside_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "catalog.sqlite").write_text("rows")
    outside = tmp_path / "shared.txt"
    outside.write_text("not photofind's")
    (data / "link").symlink_to(outside)
    changed, failed = tighten(data)
    assert (changed, failed) == (2, [])
    assert mode(data) == 0o700 and mode(data / "catalog.sqlite") == 0o600
    assert mode(outside) == 0o644


def test_a_data_dir_reached_through_a_symlink_is_tightened_where_it_lives(tmp_path: Path) -> None:
    real = tmp_path / "disk" / "pf"
    real.mkdir(parents=True, mode=0o755)
    (real / "catalog.sqlite").write_text("rows")
    link = tmp_path / "pf-link"
    link.symlink_to(real)
    from photofind.private import private_dir

    private_dir(link)
    assert mode(real) == 0o700 and mode(real / "catalog.sqlite") == 0o600
    assert readable_by_others(link) == []


def test_readable_by_others_counts_what_others_can_reach(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "chroma").mkdir(parents=True, mode=0o755)
    (data / "catalog.sqlite").write_text("rows")
    (data / "chroma" / "chroma.sqlite3").write_text("vectors")
    os.chmod(data, 0o755)
    assert readable_by_others(data) == ["catalog.sqlite", "chroma/chroma.sqlite3"]
    os.chmod(data, 0o700)  # nobody else may enter: what is inside is out of reach whatever its mode
    assert readable_by_others(data) == []


def test_thumbnails_are_private_and_an_open_cache_dir_is_tightened(tmp_path: Path,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    cache = tmp_path / "cache"
    (cache / "onnx").mkdir(parents=True)  # an older photofind's cache: 0755 folders, 0644 files
    (cache / "onnx" / "hashes.json").write_text("{}")
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (300, 200), (200, 40, 40)).save(photo)
    with caplog.at_level(logging.WARNING, logger="photofind.store"):
        thumb = ThumbCache(cache).get("ab" * 32, 256, str(photo))
    assert [r.getMessage() for r in caplog.records] == [
        f"made {cache} private: other users could read it (now 0700, its files 0600; 3 changed)"]
    assert mode(thumb) == 0o600 and mode(thumb.parent) == 0o700 and mode(thumb.parent.parent) == 0o700
    assert mode(cache) == 0o700 and mode(cache / "onnx" / "hashes.json") == 0o600


@pytest.mark.timeout(60)  # the hang guard: a probe that waits for ever fails here
def test_a_hub_that_never_answers_is_given_up_on() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ModelUnavailableError) as info:
            probe([HubFile("org/repo", "weights.safetensors")], url, "CLIP weights X", timeout=0.3)
    message = str(info.value)
    assert f"could not download CLIP weights X: the Hugging Face hub at {url} is not reachable" in message
    assert "model.checkpoint" in message and "--model effnet-lite0" in message
