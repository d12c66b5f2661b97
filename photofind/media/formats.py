"""Which file names photofind reads, declared once: the scanner's default extensions
(settings.DEFAULT_EXTENSIONS), the RAW twin rule (scanner.raw_twins) and the decoder's choice of
Pillow or LibRaw (images.open_image) all come from these tuples."""

from __future__ import annotations

import os

# What Pillow decodes (HEIC/HEIF through pillow-heif).
PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif")
# Camera RAW files, decoded by LibRaw through rawpy (the `raw` extra): Sony, Canon (CR2, CR3),
# Nikon, Adobe DNG, Olympus, Panasonic.
RAW_EXTENSIONS = (".arw", ".cr2", ".cr3", ".nef", ".dng", ".orf", ".rw2")
DEFAULT_EXTENSIONS = PICTURE_EXTENSIONS + RAW_EXTENSIONS


def is_raw(path: str | os.PathLike[str]) -> bool:
    return os.fspath(path).lower().endswith(RAW_EXTENSIONS)
