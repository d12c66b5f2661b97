"""A real library on disk, indexed into a real store with the pixel model, and the web app over
it through Starlette's TestClient (its Host is the bound loopback address)."""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image

from photofind import config
from photofind.api.requests import IndexRequest
from photofind.api.client import Client
from tests.helpers.images import exif_with, library, save, scene

BASE = "http://127.0.0.1:8765"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stamp(path: Path, when: str) -> None:
    t = datetime.fromisoformat(when).timestamp()
    os.utime(path, (t, t))


@dataclass
class Lib:
    root: Path
    outside: Path

    def __truediv__(self, name: str) -> Path:
        return self.root / name

    def hash(self, name: str) -> str:
        return sha(self.root / name)


def make_library(tmp_path: Path) -> Lib:
    """8 scenes (4 dated mid-2023, 4 early 2024 by file time), an identical copy, a bigger
    re-encode of one in sub/, a photo stored sideways with an EXIF date, a broken file, and a
    symlink to a photo outside every root."""
    root, outside = tmp_path / "photos", tmp_path / "outside"
    for i, p in enumerate(library(root, 8)):
        stamp(p, "2023-06-15T12:00:00" if i < 4 else "2024-01-10T09:00:00")
    shutil.copy(root / "photo_0001.jpg", root / "copy.jpg")
    stamp(root / "copy.jpg", "2023-06-16T12:00:00")
    stamp(save(scene(3, (320, 240)), root / "sub" / "big3.jpg", quality=80), "2023-06-17T12:00:00")
    sideways = scene(20, (120, 80)).transpose(Image.Transpose.ROTATE_90)  # EXIF 6: turn to view
    save(sideways, root / "rot.jpg", exif=exif_with(6, "2022:05:01 10:00:00"), quality=92)
    (root / "broken.jpg").write_bytes(b"this is not a photo")
    secret = save(scene(30), outside / "secret.jpg", quality=92)
    (root / "link.jpg").symlink_to(secret)
    return Lib(root, outside)


@pytest.fixture
def settings(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    monkeypatch.setenv("PHOTOFIND_MODEL", "pixel")
    return config.load()


@pytest.fixture
def lib(tmp_path: Path, settings: config.Settings) -> Lib:
    found = make_library(tmp_path)
    Client(settings).answer(IndexRequest(paths=(str(found.root),), model="pixel"))
    return found


@pytest.fixture
def client(lib: Lib, settings: config.Settings) -> Iterator["object"]:
    from starlette.testclient import TestClient

    from photofind.api.client import LocalSession
    from photofind.web.app import create_app

    answerer = LocalSession(settings)
    try:
        # The browser runs on this computer (the page moves files only for such a peer).
        with TestClient(create_app(answerer, settings), base_url=BASE, client=("127.0.0.1", 50000)) as test_client:
            yield test_client
    finally:
        answerer.close()
