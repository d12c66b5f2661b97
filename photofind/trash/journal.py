"""The journal of trash operations: one JSON-lines file per `dupes --trash`, in the data dir.

Write-ahead: before a file is moved (either way) a line says where it goes, and is on disk
(fsync) before the move starts; after the move (and its catalog change) a second line says it
is done. A kill -9 between the two leaves an intent without an outcome: `reconcile` looks at
the disk, which can only be in one of two states (a rename is atomic), and writes the outcome.
A torn last line is an intent that never got to its move, and is ignored.

Lines: {"op": "trash", "id", "at"} first; then per file
  {"step": "move", "path", "hash", "bytes", "trash_dir", "trash_file", "info_file", "top"}
  {"step": "moved" | "not-moved", "path", "reason"?}
  {"step": "restore", "path"}
  {"step": "restored" | "not-restored", "path", "reason"?}
  {"step": "skip", "path", "reason"}  (a file never touched, for the record)
  {"step": "indexed"}  (the files restored so far are in the catalog again)
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from photofind.trash.freedesktop import Trashed

FOLDER = "trash-journal"
# Where a file of an operation is: in the trash, back in the library (restored), never moved
# (the move failed or was cut short), gone from the trash (emptied by hand), or mid-move.
IN_TRASH, RESTORED, KEPT, GONE = "in trash", "restored", "not moved", "gone"
MOVING, RESTORING = "moving", "restoring"
# A finished operation's record is kept this long (for `restore --list`), then pruned.
KEEP_FINISHED_DAYS = 90


@dataclass
class Entry:
    """One file of an operation, and where the journal last put it."""

    path: str
    hash: str
    bytes: int
    spot: Trashed
    state: str = MOVING
    reason: str = ""


@dataclass
class Operation:
    id: str
    at: float
    file: Path
    entries: dict[str, Entry] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    needs_index: bool = False  # files were restored, and no "indexed" line followed yet

    def in_trash(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.state == IN_TRASH]

    def pending(self) -> list[Entry]:
        return [e for e in self.entries.values() if e.state in (MOVING, RESTORING)]

    def to_json(self) -> dict[str, Any]:
        states: dict[str, int] = {}
        for e in self.entries.values():
            states[e.state] = states.get(e.state, 0) + 1
        return {
            "id": self.id, "at": self.at, "states": states, "skipped": len(self.skipped),
            "bytes_in_trash": sum(e.bytes for e in self.in_trash()),
            "files": [{"path": e.path, "state": e.state, "bytes": e.bytes, "trash_file": e.spot.trash_file}
                      for e in self.entries.values()],
        }


class Journal:
    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / FOLDER

    def operations(self) -> list[Operation]:
        """Every operation, oldest first."""
        if not self.folder.is_dir():
            return []
        # by start time: a name's "-2" (two operations in one second) sorts before its base name
        return sorted((read(p) for p in self.folder.glob("*.jsonl")), key=lambda op: (op.at, op.id))

    def get(self, op_id: str) -> Operation | None:
        path = self.folder / f"{op_id}.jsonl"
        return read(path) if op_id and "/" not in op_id and path.is_file() else None

    def prune(self, *, older_than_days: float = KEEP_FINISHED_DAYS, now: float | None = None) -> list[str]:
        """Delete the records of finished operations older than `older_than_days`: nothing of
        theirs is in a trash any more (every file restored, never moved, or emptied from the
        trash by hand) and nothing is left to reconcile. Unfinished ones are kept whatever
        their age: `restore` still needs them. Returns the ids deleted."""
        cutoff = (time.time() if now is None else now) - older_than_days * 86400
        deleted = []
        for op in self.operations():
            if op.at >= cutoff or op.pending() or op.needs_index:
                continue
            if any(os.path.lexists(e.spot.trash_file) for e in op.in_trash()):
                continue
            op.file.unlink(missing_ok=True)
            deleted.append(op.id)
        return deleted

    def start(self) -> "Writer":
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.prune()  # each new operation clears the old finished ones: the folder stays small
        now = time.time()
        base = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        for n in range(1, 1000):  # two operations in one second get -2, -3 ...
            op_id = base if n == 1 else f"{base}-{n}"
            try:
                fd = os.open(self.folder / f"{op_id}.jsonl", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
            except FileExistsError:
                continue
            writer = Writer(fd, op_id)
            writer.write({"op": "trash", "id": op_id, "at": now})
            return writer
        raise RuntimeError("no free journal name")

    def append(self, op: Operation) -> "Writer":
        fd = os.open(op.file, os.O_WRONLY | os.O_APPEND)
        return Writer(fd, op.id)


class Writer:
    def __init__(self, fd: int, op_id: str) -> None:
        self.fd = fd
        self.id = op_id

    def write(self, line: dict[str, Any]) -> None:
        """One line, on disk before this returns: the write-ahead rule depends on it."""
        os.write(self.fd, (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8", "surrogateescape"))
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, "rb") as f:
        for raw in f:
            try:
                yield json.loads(raw.decode("utf-8", "surrogateescape"))
            except (ValueError, UnicodeDecodeError):
                continue  # a line torn by a kill: its move never started (the fsync comes first)


def read(path: Path) -> Operation:
    op = Operation(path.stem, 0.0, path)
    for line in _lines(path):
        step, p = line.get("step"), line.get("path", "")
        if "op" in line:
            op.at = float(line.get("at", 0.0))
        elif step == "move":
            spot = Trashed(line["trash_dir"], line["trash_file"], line["info_file"], line.get("top", ""))
            op.entries[p] = Entry(p, line.get("hash", ""), int(line.get("bytes", 0)), spot)
        elif step == "indexed":
            op.needs_index = False
        elif step == "skip":
            op.skipped.append((p, line.get("reason", "")))
        elif p in op.entries:
            e = op.entries[p]
            e.reason = line.get("reason", "")
            if step == "restored":
                op.needs_index = True
            e.state = {"moved": IN_TRASH, "not-moved": KEPT, "restore": RESTORING,
                       "restored": RESTORED, "not-restored": IN_TRASH, "gone": GONE}.get(step, e.state)
    return op
