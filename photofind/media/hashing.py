"""Content identity: SHA-256 of the whole file, streamed so big files never sit in memory."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from photofind.media.files import open_regular

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Raises NotRegularFileError for a FIFO, device, socket or broken link (never blocks).
    Reads no more than the size fstat reports: a pseudo-file such as /proc/self/pagemap is
    "regular" with size 0 yet reads on for terabytes."""
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        left = os.fstat(fh.fileno()).st_size
        while left > 0 and (chunk := fh.read(min(_CHUNK, left))):
            digest.update(chunk)
            left -= len(chunk)
    return digest.hexdigest()
