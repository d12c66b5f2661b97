"""Open any photo as an upright RGB image, or say in a few words why it cannot be opened.

Every embedder decodes through here, so orientation, colour modes, HEIC and size limits
behave the same whichever model is in use: Pillow's formats through pillow.py, camera RAW
files through raw.py (LibRaw).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from PIL import Image

from photofind.media.formats import is_raw
from photofind.media.pillow import ImageInfo, decode_picture, to_rgb

__all__ = ["ImageInfo", "open_image", "to_rgb"]


def open_image(
    path: str | Path | BinaryIO, min_side: int | None = None, max_pixels: int = 200_000_000
) -> tuple[Image.Image, ImageInfo]:
    """Decode `path` (or in-memory bytes: a web upload) upright in RGB. With `min_side`, JPEGs
    decode at the smallest DCT scale whose both sides stay >= min_side (draft mode), which is
    3-4x faster on camera photos. Camera RAW files (by extension) go through LibRaw: see raw.py."""
    if isinstance(path, (str, Path)) and is_raw(path):
        from photofind.media.raw import open_raw  # rawpy is imported only when a RAW file is met

        return open_raw(path, min_side, max_pixels)
    return decode_picture(path, min_side, max_pixels)
