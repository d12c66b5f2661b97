"""Every reader of a photo refuses special files without blocking: real FIFOs, sockets, a real
symlink to /dev/zero, dangling symlinks and symlink loops. Each call runs in a thread with a
bound, so a reader that blocks (as open() on a FIFO does) fails the test instead of hanging it."""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from photofind.errors import InputError, NotAnImageError
from photofind.media.files import open_regular, special_reason
from photofind.media.fingerprint import fingerprint_file
from photofind.media.hashing import sha256_file
from photofind.media.images import open_image
from photofind.query.query_vectors import check_query_file
from photofind.store.thumbnails import ThumbCache
from tests.helpers.images import save, scene

REASONS = {
    "fifo": "not a regular file (a FIFO)",
    "socket": "not a regular file (a socket)",
    "zero": "not a regular file (a character device)",
    "dangling": "dangling symlink (its target is not there)",
    "loop": "symlink loop",
}


@pytest.fixture
def specials(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """kind -> a path named like a photo (.jpg, and .dng for the RAW reader)."""
    made: dict[str, Path] = {}
    socks = []
    for ext in ("jpg", "dng"):
        os.mkfifo(tmp_path / f"fifo.{ext}")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(tmp_path / f"socket.{ext}"))
        socks.append(s)
        (tmp_path / f"zero.{ext}").symlink_to("/dev/zero")
        (tmp_path / f"dangling.{ext}").symlink_to(tmp_path / "missing")
        (tmp_path / f"loop.{ext}").symlink_to(tmp_path / f"loop.{ext}")
    for kind in REASONS:
        made[kind] = tmp_path / f"{kind}.jpg"
    yield made
    for s in socks:
        s.close()


def bounded(call: Callable[[], Any], seconds: float = 10.0) -> BaseException | None:
    """The exception `call` raised (None if it returned); fails if it is still running after `seconds`."""
    box: list[BaseException | None] = [None]

    def target() -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001  (handed to the test)
            box[0] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), "the reader blocked"
    return box[0]


@pytest.mark.parametrize("kind", list(REASONS))
def test_special_reason_names_the_kind(specials: dict[str, Path], kind: str) -> None:
    assert special_reason(specials[kind]) == REASONS[kind]


def test_a_regular_file_and_a_symlink_to_one_open(tmp_path: Path) -> None:
    photo = save(scene(1), tmp_path / "a.jpg")
    (tmp_path / "link.jpg").symlink_to(photo)
    for path in (photo, tmp_path / "link.jpg"):
        assert special_reason(path) is None
        with open_regular(path) as fh:
            assert fh.read() == photo.read_bytes()
    assert open_image(tmp_path / "link.jpg")[0].size == open_image(photo)[0].size


@pytest.mark.parametrize("kind", list(REASONS))
@pytest.mark.parametrize("reader", ["open_regular", "sha256_file", "open_image", "open_raw", "fingerprint_file",
                                    "thumbnail"])
def test_every_reader_refuses_without_blocking(specials: dict[str, Path], tmp_path: Path, kind: str, reader: str) -> None:
    path = specials[kind]
    calls: dict[str, Callable[[], Any]] = {
        "open_regular": lambda: open_regular(path),
        "sha256_file": lambda: sha256_file(path),
        "open_image": lambda: open_image(path),
        "open_raw": lambda: open_image(path.with_suffix(".dng")),  # by extension: LibRaw's path
        "fingerprint_file": lambda: fingerprint_file(path),
        "thumbnail": lambda: ThumbCache(tmp_path / "cache").get("0" * 64, 128, str(path)),
    }
    exc = bounded(calls[reader])
    assert isinstance(exc, NotAnImageError), exc
    assert REASONS[kind] in str(exc)


@pytest.mark.parametrize("kind", list(REASONS))
def test_a_query_file_that_is_special_is_an_input_error_naming_it(specials: dict[str, Path], kind: str) -> None:
    exc = bounded(lambda: check_query_file(specials[kind]))
    assert isinstance(exc, InputError) and str(exc) == f"{specials[kind]}: {REASONS[kind]}"
