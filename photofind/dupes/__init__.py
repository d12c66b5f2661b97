"""True duplicates, never merely similar photos.

- exact: the same bytes (content hash) under several paths, grouped in SQL;
- verified: the same picture resized, re-encoded, lightly cropped or stored rotated with an
  EXIF tag. Candidates come from exhaustive scans of the stored pHashes (and of each photo's
  inner, cropped pHash against the others', for crops); no vector is read. A pair is kept only
  if the pHashes are within `max_distance` bits (global) AND every tile of the two aligned
  thumbnails agrees (local, verify.py);
- loose (opt-in): the global pHash test alone, "visually similar".

This module is cheap to import (the CLI reads the defaults, defaults.py, for its --help); the
work is in find.py, loaded on first use.
"""

from __future__ import annotations

from typing import Any

from photofind.dupes.defaults import MAX_DISTANCE

__all__ = ["MAX_DISTANCE", "MAX_TILE_DIFF", "DupesReport", "Group", "Member", "find_dupes"]


def __getattr__(name: str) -> Any:
    if name == "MAX_TILE_DIFF":
        from photofind.dupes.verify import MAX_TILE_DIFF

        return MAX_TILE_DIFF
    if name in ("DupesReport", "Group", "Member"):
        from photofind.dupes import report

        return getattr(report, name)
    if name == "find_dupes":
        from photofind.dupes.find import find_dupes

        return find_dupes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
