"""Thumbnails made on demand from the original (upright, draft-decoded), cached on disk under
the cache dir, keyed by content hash and size. A thumbnail goes when its content's vector is
collected (`forget`, the indexer's on_collected hook) and at server start (`sweep`).

Light on purpose: the indexer's hook imports this module, PIL only when a thumbnail is made."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Callable, Iterable

from photofind.private import private_dir, private_files

log = logging.getLogger("photofind.web")  # the page's log, as before the cache moved here

SIZES = (256, 640, 1600)  # grid, duplicates, a photo's page
QUALITY = 85


def thumb_dir(cache_dir: Path) -> Path:
    return cache_dir / "thumbs"


def thumb_path(cache_dir: Path, digest: str, size: int) -> Path:
    return thumb_dir(cache_dir) / digest[:2] / f"{digest}-{size}.jpg"


def forget(cache_dir: Path, hashes: Iterable[str]) -> int:
    """Delete the thumbnails of contents no path refers to any more. Returns the files deleted."""
    gone = 0
    for digest in hashes:
        for size in SIZES:
            try:
                thumb_path(cache_dir, digest, size).unlink()
                gone += 1
            except FileNotFoundError:
                pass
    return gone


def sweep(cache_dir: Path, referenced: set[str]) -> int:
    """Delete every cached thumbnail whose content is not in `referenced` (vectors collected
    while no server ran, or by a process killed before its hook ran). Returns the files deleted."""
    gone = 0
    root = thumb_dir(cache_dir)
    if not root.is_dir():
        return 0
    for sub in root.iterdir():
        for f in sub.iterdir() if sub.is_dir() else ():
            digest = f.name.split("-", 1)[0]
            if digest not in referenced or f.name.endswith(".tmp"):
                f.unlink(missing_ok=True)
                gone += 1
    if gone:
        log.info("removed %d thumbnails of photos no longer indexed", gone)
    return gone


class ThumbCache:
    def __init__(self, cache_dir: Path, max_pixels: int = 200_000_000) -> None:
        self.cache_dir = cache_dir
        self.max_pixels = max_pixels

    def get(self, digest: str, size: int, source: str) -> Path:
        """The cached thumbnail, made from `source` (a checked copy of that content) if missing.
        Written to a temp name and renamed, so a reader never sees half a file."""
        path = thumb_path(self.cache_dir, digest, size)
        if path.is_file():
            return path
        from PIL import Image

        from photofind.media.images import open_image

        image, _ = open_image(source, min_side=size, max_pixels=self.max_pixels)  # NotAnImageError
        image.thumbnail((size, size), Image.Resampling.BICUBIC, reducing_gap=2.0)
        private_dir(self.cache_dir)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with private_files():  # thumbnails show the photos: 0600 in 0700 folders
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                image.save(tmp, "JPEG", quality=QUALITY)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
        return path


def collector(cache_dir: Path) -> Callable[[set[str]], None]:
    """The indexer's on_collected hook: a content's thumbnails go with its vector."""

    def collected(hashes: set[str]) -> None:
        forget(cache_dir, hashes)

    return collected
