"""Content identity: SHA-256 of the whole file, streamed so big files never sit in memory."""

from __future__ import annotations

import hashlib
from pathlib import Path

from photofind.media.files import open_regular

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Raises NotRegularFileError for a FIFO, device, socket or broken link (never blocks)."""
    digest = hashlib.sha256()
    with open_regular(path) as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
