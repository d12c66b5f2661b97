"""watchdog events -> plain values: which files to look at, which folders to rescan, which
paths moved. The handler only records; the daemon's loop decides what to do."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from watchdog.events import FileSystemEvent, FileSystemEventHandler

from photofind.scanner import PathFilter


@dataclass
class Changes:
    files: set[str] = field(default_factory=set)  # created / modified / moved-to / deleted
    folders: set[str] = field(default_factory=set)  # created, moved in, or deleted: rescan them
    moves: list[tuple[str, str]] = field(default_factory=list)  # (src, dest), files and folders
    overflowed: bool = False  # the kernel dropped events: reconcile everything


class ChangeCollector(FileSystemEventHandler):
    def __init__(self, root: str, path_filter: PathFilter) -> None:
        self.root = root
        self.path_filter = path_filter
        self._lock = threading.Lock()
        self._changes = Changes()

    def _wanted(self, path: str) -> bool:
        return self.path_filter.wants_file(path, self.root)

    def on_any_event(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind in ("opened", "closed_no_write"):
            return
        src = str(event.src_path)
        dest = str(getattr(event, "dest_path", "") or "")
        with self._lock:
            c = self._changes
            if event.is_directory:
                if kind == "moved":
                    if self.path_filter.wants_folder(dest, self.root):
                        c.moves.append((src, dest))
                        c.folders.add(dest)  # pick up anything the move did not account for
                    else:
                        c.folders.add(src)  # moved into an excluded folder: as good as deleted
                elif kind == "created" and self.path_filter.wants_folder(src, self.root):
                    c.folders.add(src)
                elif kind == "deleted":
                    c.folders.add(src)
                return
            if kind == "moved":
                if self._wanted(src) and self._wanted(dest):
                    c.moves.append((src, dest))
                elif self._wanted(src):
                    c.files.add(src)  # renamed to a name photofind ignores: gone from the index
                if self._wanted(dest):
                    c.files.add(dest)
            elif self._wanted(src):
                c.files.add(src)

    def mark_overflow(self) -> None:
        with self._lock:
            self._changes.overflowed = True

    def drain(self) -> Changes:
        with self._lock:
            out, self._changes = self._changes, Changes()
        return out


class OverflowSpy(logging.Handler):
    """watchdog (7.x) repairs its inotify watches after a queue overflow but tells handlers
    nothing; it only logs a warning. This hears that warning and flags a reconcile rescan."""

    def __init__(self, collectors: list[ChangeCollector]) -> None:
        super().__init__(logging.WARNING)
        self.collectors = collectors

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            for c in self.collectors:
                c.mark_overflow()
