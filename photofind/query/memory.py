"""Freed memory back to the system. glibc keeps the heap that a scan's pages leave behind for
its own reuse; a server that scans 1.2 GB of vectors now and then would carry it for good."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache
from typing import Any, Callable


@cache
def _malloc_trim() -> Callable[[int], Any] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None


def release_free_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
