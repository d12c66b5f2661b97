"""Debounce: a file is indexed only after its size and mtime have held still for a while,
so a photo that is still being copied is never embedded half-written."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from photofind.media.files import link_reason
from photofind.scanner import FileStat


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float  # when this (size, mtime) was first observed


class Settler:
    def __init__(self, settle_seconds: float, clock: Callable[[], float], stat: Callable[[str], os.stat_result] = os.stat) -> None:
        self.settle_seconds = settle_seconds
        self.clock = clock
        self.stat = stat
        self._pending: dict[str, _Seen | None] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def touch(self, path: str) -> None:
        """Something happened to `path`: (re)start watching it."""
        self._pending.setdefault(path, None)

    def _stat(self, path: str) -> os.stat_result:
        """The file's stat; a dangling symlink or a link loop settles on the link's own stat, so
        that it is recorded as skipped (with its reason) instead of waiting forever."""
        try:
            return self.stat(path)
        except OSError as exc:
            if link_reason(path, exc) is None:
                raise
            return os.lstat(path)

    def take_ready(self, limit: int | None = None) -> tuple[list[FileStat], list[str]]:
        """(files stable for settle_seconds, paths that no longer exist). Others stay pending."""
        now = self.clock()
        ready: list[FileStat] = []
        gone: list[str] = []
        for path, seen in list(self._pending.items()):
            try:
                st = self._stat(path)
            except FileNotFoundError:
                gone.append(path)
                del self._pending[path]
                continue
            except OSError:
                continue  # unreadable for now; try again next round
            if seen is None or (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
                self._pending[path] = _Seen(st.st_size, st.st_mtime_ns, now)
            elif now - seen.since >= self.settle_seconds:
                ready.append(FileStat(path, st.st_size, st.st_mtime_ns))
                del self._pending[path]
                if limit is not None and len(ready) >= limit:
                    break
        return ready, gone
