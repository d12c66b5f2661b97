"""Camera RAW files through LibRaw (rawpy, the `raw` extra), with open_image's guarantees:
upright, 8-bit RGB, the pixel limit checked from the header, and no bigger a decode than
`min_side` needs.

Most cameras embed a JPEG preview in the RAW file, rendered by the camera itself. Decoding it
is a JPEG decode (draft mode included); developing the sensor data costs more, and more again
for a camera's compressed RAW (docs/performance.md, "RAW photos", has figures). So the preview is used
whenever it is big enough, and the RAW data is developed only when there is none, or only a
thumbnail too small for the caller.
"""

from __future__ import annotations

import functools
import io
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from PIL import Image

from photofind.errors import ImageTooLargeError, NotAnImageError
from photofind.media.files import check_regular
from photofind.media.pillow import ImageInfo, decode_picture, to_rgb

# The reason a RAW file is skipped without the extra: `status` groups skipped files by reason.
RAW_EXTRA_MISSING = "RAW photo: install photofind[raw] to read it"

_ORIENTATION = 0x0112
_SOFTWARE = 0x0131
# LibRaw keeps the orientation as its own `flip` code (from the TIFF/EXIF tag through
# "50132467"[orientation & 7]); back to the EXIF orientation it came from.
_FLIP_TO_ORIENTATION = {0: 1, 1: 2, 3: 3, 2: 4, 4: 5, 6: 6, 7: 7, 5: 8}
# What Pillow's exif_transpose does for each EXIF orientation.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@functools.cache
def rawpy_module() -> ModuleType | None:
    """rawpy, or None when the `raw` extra is not installed (or its LibRaw cannot load)."""
    try:
        import rawpy
    except ImportError:
        return None
    return rawpy


def raw_supported() -> bool:
    return rawpy_module() is not None


def _reason(exc: BaseException) -> str:
    # LibRaw's messages arrive as bytes (b'Unsupported file format or not RAW file')
    arg = exc.args[0] if exc.args else ""
    text = arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)
    return text or type(exc).__name__


def _taken(raw: Any) -> str | None:
    """The shot's date as LibRaw read it from the RAW's own EXIF (naive local time, like EXIF)."""
    try:
        stamp = raw.other.timestamp  # rawpy >= 0.19
    except (AttributeError, OverflowError, OSError, ValueError):
        return None
    if stamp is None or stamp.timestamp() <= 0:  # 0: the file has no date
        return None
    return str(stamp.replace(microsecond=0).isoformat())


def open_raw(path: str | Path, min_side: int | None = None, max_pixels: int = 200_000_000) -> tuple[Image.Image, ImageInfo]:
    """Like open_image, for a camera RAW file. Raises NotAnImageError (RAW_EXTRA_MISSING
    without rawpy) or ImageTooLargeError."""
    rawpy = rawpy_module()
    if rawpy is None:
        raise NotAnImageError(RAW_EXTRA_MISSING)
    try:
        # LibRaw opens by name: only a regular file is named to it (NotRegularFileError)
        if check_regular(path).st_size == 0:
            raise NotAnImageError("empty file")
        with rawpy.imread(os.fspath(path)) as raw:  # reads the header only
            sizes = raw.sizes
            width, height = sizes.width, sizes.height  # as stored on the sensor
            if width * height > max_pixels:
                raise ImageTooLargeError(
                    f"image too large ({width}x{height} = {width * height:,} pixels; "
                    f"index.max_pixels is {max_pixels:,})"
                )
            orientation = _FLIP_TO_ORIENTATION.get(sizes.flip, 1)
            upright = (height, width) if orientation >= 5 else (width, height)
            # Without min_side, a preview must match what a half-size development would give.
            need = min_side or min(width, height) // 2
            found = _preview(raw, rawpy, need, max_pixels, orientation, sensor_landscape=width > height)
            if found is not None:
                image, taken = found
                return image, ImageInfo(*upright, _taken(raw) or taken)
            # Half size (each 2x2 Bayer cell becomes one pixel, no demosaicing) is 4x less work
            # and, for any camera, still far above a model's input size.
            half = min_side is not None and 0 < min_side <= min(width, height) // 2
            rgb = raw.postprocess(half_size=half, use_camera_wb=True, output_bps=8)
            # LibRaw has already turned it upright (user_flip defaults to the file's flip).
            return to_rgb(Image.fromarray(np.ascontiguousarray(rgb))), ImageInfo(*upright, _taken(raw))
    except NotAnImageError:
        raise
    except (rawpy.LibRawError, OSError, ValueError, MemoryError) as exc:
        reason = getattr(exc, "strerror", None) or _reason(exc)
        raise NotAnImageError(f"corrupt or unreadable RAW photo ({reason})") from None


def _preview(
    raw: Any, rawpy: ModuleType, need: int, max_pixels: int, orientation: int, *, sensor_landscape: bool
) -> tuple[Image.Image, str | None] | None:
    """The camera's embedded preview (LibRaw picks the biggest), upright, if its short side
    reaches `need`; None when there is none, it is too small, or it is damaged."""
    try:
        thumb = raw.extract_thumb()
    except rawpy.LibRawError:  # none, an unsupported format, or damaged: develop instead
        return None
    taken: str | None = None
    try:
        if thumb.format == rawpy.ThumbFormat.JPEG:
            data = io.BytesIO(thumb.data)
            with Image.open(data) as header:  # reads the header only
                shape, exif = header.size, header.getexif()
            if min(shape) < need:
                return None
            own = exif.get(_ORIENTATION)
            if str(exif.get(_SOFTWARE, "")).startswith("dcraw"):
                # LibRaw puts an EXIF block of its own, holding the RAW's orientation, before a
                # preview that has none: that is not the preview's own.
                own = None
            image, info = decode_picture(data, need, max_pixels, upright=False)
            taken = info.taken
        else:  # an RGB bitmap
            image, own = to_rgb(Image.fromarray(np.ascontiguousarray(thumb.data))), None
            shape = image.size
            if min(shape) < need:
                return None
    except NotAnImageError:
        return None
    except (OSError, SyntaxError, ValueError, EOFError):
        return None  # a damaged preview: the RAW data may still develop
    if own in _TRANSPOSE:
        turn = own  # the camera wrote the preview's own orientation
    else:
        # Previews usually carry no orientation (Immich #12720) and are stored as the sensor is,
        # so the RAW's applies. Some cameras store them upright already (libvips #5086): a
        # preview whose shape is not the sensor's is not turned a quarter again.
        width, height = shape
        upright_already = orientation >= 5 and (height > width if sensor_landscape else width > height)
        turn = 1 if upright_already else orientation
    return (image.transpose(_TRANSPOSE[turn]) if turn in _TRANSPOSE else image), taken
