"""Real DNG files for the RAW tests, written by hand: no camera file can be downloaded here and
no installed package ships one.

A DNG is a TIFF: IFD0 carries the DNG tags (version, camera name, colour matrix, orientation,
date) and, as a reduced-resolution image (NewSubFileType 1), the embedded JPEG preview; its
SubIFD holds the raw data, a 16-bit RGGB Bayer mosaic (PhotometricInterpretation CFA). LibRaw
reads these like any camera's: extract_thumb returns the preview and postprocess demosaics the
mosaic. The "camera" sees linear sRGB (the colour matrix is XYZ -> linear sRGB, the neutral is
white), so a developed file looks like the picture it was made from.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

BYTE, ASCII, SHORT, LONG, RATIONAL, SRATIONAL = 1, 2, 3, 4, 5, 10
_SIZE = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, SRATIONAL: 8}
_FORMAT = {BYTE: "B", SHORT: "H", LONG: "I"}
BLACK, WHITE = 64, 4095 + 64
# XYZ (D65) -> linear sRGB, as DNG's ColorMatrix1 wants it (XYZ -> camera)
XYZ_TO_SRGB = ((3.2406, -1.5372, -0.4986), (-0.9689, 1.8758, 0.0415), (0.0557, -0.2040, 1.0570))


def _pack(kind: int, values: object) -> bytes:
    if kind == ASCII:
        return str(values).encode() + b"\0"
    if kind in (RATIONAL, SRATIONAL):
        fmt = "<ii" if kind == SRATIONAL else "<II"
        return b"".join(struct.pack(fmt, round(v * 10000), 10000) for v in values)  # type: ignore[union-attr]
    return struct.pack("<" + _FORMAT[kind] * len(values), *values)  # type: ignore[arg-type]


class _Tiff:
    """A little-endian TIFF built front to back: blobs, then the IFDs that point at them."""

    def __init__(self) -> None:
        self.buf = bytearray(b"II*\0\0\0\0\0")

    def blob(self, data: bytes) -> int:
        if len(self.buf) % 2:
            self.buf += b"\0"  # TIFF offsets are word-aligned
        offset = len(self.buf)
        self.buf += data
        return offset

    def ifd(self, entries: list[tuple[int, int, object]]) -> int:
        fields = []
        for tag, kind, values in sorted(entries, key=lambda e: e[0]):
            data = _pack(kind, values)
            value = struct.pack("<I", self.blob(data)) if len(data) > 4 else data.ljust(4, b"\0")
            fields.append(struct.pack("<HHI", tag, kind, len(data) // _SIZE[kind]) + value)
        return self.blob(struct.pack("<H", len(fields)) + b"".join(fields) + struct.pack("<I", 0))


def mosaic(picture: Image.Image) -> np.ndarray:
    """The RGGB sensor values a linear camera would record for `picture` (sRGB)."""
    srgb = np.asarray(picture.convert("RGB"), dtype=np.float64) / 255.0
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    values = np.round(linear * (WHITE - BLACK) + BLACK)
    cfa = np.empty(values.shape[:2], np.uint16)
    cfa[0::2, 0::2] = values[0::2, 0::2, 0]  # R
    cfa[0::2, 1::2] = values[0::2, 1::2, 1]  # G
    cfa[1::2, 0::2] = values[1::2, 0::2, 1]  # G
    cfa[1::2, 1::2] = values[1::2, 1::2, 2]  # B
    return cfa


def write_dng(
    path: Path, sensor: Image.Image, preview: Image.Image | None = None, *, orientation: int = 1,
    taken: str = "2024:05:06 07:08:09", preview_exif: Image.Exif | None = None,
) -> Path:
    """A DNG whose raw data is `sensor` (as the sensor saw it, before `orientation`) and whose
    embedded JPEG is `preview` (none: IFD0 is the raw image itself, as some DNGs have it), with
    `preview_exif` as the preview's own EXIF if given."""
    tiff = _Tiff()
    cfa = mosaic(sensor)
    height, width = cfa.shape
    raw = [
        (256, LONG, [width]), (257, LONG, [height]), (258, SHORT, [16]), (259, SHORT, [1]),
        (262, SHORT, [32803]), (273, LONG, [tiff.blob(cfa.astype("<u2").tobytes())]), (277, SHORT, [1]),
        (278, LONG, [height]), (279, LONG, [cfa.nbytes]), (284, SHORT, [1]),
        (33421, SHORT, [2, 2]), (33422, BYTE, [0, 1, 1, 2]),  # CFARepeatPatternDim, CFAPattern RGGB
        (50714, SHORT, [BLACK]), (50717, SHORT, [WHITE]),  # BlackLevel, WhiteLevel
    ]
    camera = [
        (271, ASCII, "Photofind"), (272, ASCII, "Test Camera"), (274, SHORT, [orientation]), (306, ASCII, taken),
        (50706, BYTE, [1, 4, 0, 0]), (50707, BYTE, [1, 1, 0, 0]),  # DNGVersion, DNGBackwardVersion
        (50708, ASCII, "Photofind Test Camera"),  # UniqueCameraModel
        (50721, SRATIONAL, [v for row in XYZ_TO_SRGB for v in row]),  # ColorMatrix1
        (50778, SHORT, [21]), (50728, RATIONAL, [1.0, 1.0, 1.0]),  # CalibrationIlluminant1 D65, AsShotNeutral
    ]
    if preview is None:
        ifd0 = tiff.ifd(camera + raw + [(254, LONG, [0])])
    else:
        out = io.BytesIO()
        preview.convert("RGB").save(out, "JPEG", quality=90, exif=preview_exif or Image.Exif())
        jpeg = out.getvalue()
        if preview_exif is not None and jpeg[2:4] == b"\xff\xe0":
            # A camera writes its EXIF (APP1) right after the start marker; Pillow puts a JFIF
            # APP0 first, which would make LibRaw add an EXIF block of its own in front.
            jpeg = jpeg[:2] + jpeg[4 + struct.unpack(">H", jpeg[4:6])[0] :]
        sub_ifd = tiff.ifd(raw + [(254, LONG, [0])])
        ifd0 = tiff.ifd(camera + [
            (254, LONG, [1]), (256, LONG, [preview.width]), (257, LONG, [preview.height]),
            (258, SHORT, [8, 8, 8]), (259, SHORT, [7]), (262, SHORT, [6]),  # JPEG, YCbCr
            (273, LONG, [tiff.blob(jpeg)]), (277, SHORT, [3]), (278, LONG, [preview.height]),
            (279, LONG, [len(jpeg)]), (330, LONG, [sub_ifd]),  # SubIFDs
        ])
    tiff.buf[4:8] = struct.pack("<I", ifd0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(tiff.buf))
    return path
