"""Decoding through Pillow (JPEG draft mode, EXIF orientation, colour modes, HEIC, the size
limit), for photofind.media.images.open_image and for a RAW file's embedded preview (raw.py)."""

from __future__ import annotations

import functools
from contextlib import nullcontext
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from photofind.errors import ImageTooLargeError, NotAnImageError
from photofind.media.files import open_regular

# Pillow's bomb check warns at 89 MP and refuses at 179 MP, process-wide. photofind applies its
# own per-file limit (index.max_pixels) right after reading the header instead, so one huge
# panorama is skipped with a reason and the limit is a setting.
Image.MAX_IMAGE_PIXELS = None

_ORIENTATION = 0x0112
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132
_WHITE = (255, 255, 255, 255)


@dataclass(frozen=True)
class ImageInfo:
    width: int  # of the upright original, before any draft reduction
    height: int
    taken: str | None  # ISO 8601 from EXIF, None when the file has no date


@functools.cache
def _register_heif() -> bool:
    try:
        import pillow_heif
    except ImportError:
        return False
    pillow_heif.register_heif_opener()
    return True


def _exif_datetime(exif: Image.Exif) -> str | None:
    raw = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def to_rgb(im: Image.Image) -> Image.Image:
    """Any Pillow mode to 8-bit RGB. Transparent pixels become white, not black."""
    if im.mode == "RGB":
        return im
    if im.mode.startswith("I") or im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        if im.mode == "F":
            top = 1.0 if arr.max(initial=0) <= 1.0 else 255.0
        else:  # 16-bit (or 32-bit holding 16-bit data, as Pillow opens 16-bit PNGs)
            top = 65535.0 if arr.max(initial=0) > 255 or im.mode.startswith("I;16") else 255.0
        eight = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(eight, "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in im.info:
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _WHITE)
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


def _size(source: BinaryIO) -> int:
    size = source.seek(0, 2)
    source.seek(0)
    return size


def decode_picture(
    path: str | Path | BinaryIO, min_side: int | None = None, max_pixels: int = 200_000_000, *, upright: bool = True
) -> tuple[Image.Image, ImageInfo]:
    """photofind.media.images.open_image through Pillow. `upright=False` leaves the pixels as stored, for a RAW's
    embedded preview, which raw.py turns by the RAW's orientation."""
    if not isinstance(path, (str, Path)) or str(path).lower().endswith((".heic", ".heif")):
        _register_heif()  # bytes have no name to tell
    try:
        # a name is opened only if it is a regular file (NotRegularFileError): never a FIFO or device
        with open_regular(path) if isinstance(path, (str, Path)) else nullcontext(path) as source:
            return _decode(source, min_side, max_pixels, upright)
    except NotAnImageError:
        raise
    except UnidentifiedImageError:
        raise NotAnImageError("not a readable image (unknown format)") from None
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"image too large: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        # Truncated, corrupt, or unreadable from disk; Pillow says which.
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise NotAnImageError(f"corrupt or unreadable image ({reason})") from None


def _decode(source: BinaryIO, min_side: int | None, max_pixels: int, upright: bool) -> tuple[Image.Image, ImageInfo]:
    if _size(source) == 0:
        raise NotAnImageError("empty file")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # EXIF/ICC oddities are not worth a skip
        with Image.open(source) as im:
            width, height = im.size
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"image too large ({width}x{height} = {width * height:,} pixels; "
                    f"index.max_pixels is {max_pixels:,})"
                )
            exif = im.getexif()
            if exif.get(_ORIENTATION) in (5, 6, 7, 8):
                width, height = height, width
            info = ImageInfo(width, height, _exif_datetime(exif))
            if min_side and im.format == "JPEG":
                im.draft("RGB", (min_side, min_side))
            im.load()
            return to_rgb(ImageOps.exif_transpose(im) if upright else im), info
