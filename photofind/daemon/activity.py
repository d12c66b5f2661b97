"""The daemon's indexing progress as it happens, for the status page: fed by the indexer's
progress callback (its own thread), read by request threads."""

from __future__ import annotations

import threading
import time
from typing import Callable

from photofind.results import Activity, Progress

STALE = 120.0  # seconds without a step after which a run that never finished (an error) reads idle


class ActivityMeter:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._last: Progress | None = None
        self._started = 0.0
        self._stepped = 0.0

    def update(self, progress: Progress) -> None:
        now = self.clock()
        with self._lock:
            last = self._last
            if last is None or progress.done < last.done or progress.total != last.total or last.done >= last.total:
                self._started = now  # a new run
            self._last = progress
            self._stepped = now

    def snapshot(self, pending: int = 0) -> Activity:
        now = self.clock()
        with self._lock:
            p = self._last
            if p is None or p.done >= p.total or now - self._stepped > STALE:
                return Activity(pending=pending)
            elapsed = max(now - self._started, 1e-6)
            rate = p.done / elapsed
            eta = (p.total - p.done) / rate if rate > 0 else None
            return Activity(True, p.done, p.total, p.skipped, rate, eta, pending)
