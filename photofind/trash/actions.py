"""Moving duplicates to the trash and back, journaled, with the catalog following each move.

Runs in the process that owns the store (the server, or a command holding the lock), so the
catalog changes where its one writer is. The caller passes the catalog, the journal, the home
trash and two callbacks into the indexer: `release` (the content no row points at any more:
its vectors and fingerprints go) and `reindex` (restored files, indexed again).

Order for each file, so that a kill -9 at any line loses nothing:
  check (the catalog row, then the bytes re-hashed) -> pick a trash name -> journal "move"
  (fsync) -> .trashinfo created O_EXCL -> rename into files/ -> catalog row deleted ->
  journal "moved". `reconcile` finishes whatever an intent left open.
"""

from __future__ import annotations

import os
import stat
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Callable, ContextManager, Iterable

from photofind.errors import InputError, NotAnImageError
from photofind.media.files import NotRegularFileError
from photofind.media.hashing import sha256_file
from photofind.store.catalog import Catalog
from photofind.trash import freedesktop as fd
from photofind.trash.journal import GONE, IN_TRASH, KEPT, MOVING, RESTORED, RESTORING, Entry, Journal, Operation, Writer
from photofind.trash.report import GroupMove, Item, RestoreReport, TrashReport

PAUSE_ENV = "PHOTOFIND_TEST_PAUSE"  # tests only: "POINT:N:MARKER" stops at the Nth POINT (kill -9 tests)
_passed: dict[str, int] = {}


def _checkpoint(point: str) -> None:
    """Where the kill -9 tests stop a real process: at the Nth time this point is reached,
    touch MARKER and sleep until killed. Costs one dict lookup when the variable is unset."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    name, n, marker = spec.split(":", 2)
    if name != point:
        return
    _passed[point] = _passed.get(point, 0) + 1
    if _passed[point] == int(n):
        Path(marker).write_text(str(os.getpid()))
        time.sleep(3600)


def problem(item: Item, catalog: Catalog) -> str | None:
    """Why `item` may not be moved now, or None: it must be catalogued with the hash `dupes`
    saw, a regular file, readable, and its bytes must still hash to that (re-read now)."""
    row = catalog.row(item.path)
    if row is None or row.status != "ok":
        return "no longer indexed"
    if row.hash != item.hash:
        return "changed since dupes listed it (indexed again with other bytes)"
    try:
        st = os.lstat(item.path)
    except FileNotFoundError:
        return "gone (moved or deleted since it was indexed)"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return "now a symbolic link; only regular files are moved"
    if not stat.S_ISREG(st.st_mode):
        return "no longer a regular file"
    if st.st_size != row.size:
        return "its bytes changed since it was indexed (another size)"
    try:
        digest = sha256_file(item.path)
    except NotRegularFileError as exc:  # swapped for a FIFO or device since the lstat above
        return f"no longer a regular file: {exc}"
    except NotAnImageError as exc:  # emptied since the lstat above
        return f"its bytes changed since it was indexed ({exc})"
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if digest != item.hash:
        return "its bytes changed since it was indexed"
    return None


def trash(
    groups: Iterable[GroupMove],
    catalog: Catalog,
    journal: Journal,
    home: Path,
    *,
    release: Callable[[set[str]], None],
    step_lock: ContextManager[object] | None = None,
) -> TrashReport:
    """Move each group's files (never its keeper) to the trash, one at a time; a file that
    cannot go is skipped with its reason and the rest goes on. `step_lock`: the server's store
    lock, held for one group at a time (its checks, moves and catalog changes), so that other
    queries are answered between groups while hundreds of files move."""
    report = TrashReport("")
    writers: list[Writer] = []  # the journal file, opened at the first move
    released: set[str] = set()
    lock = step_lock or nullcontext()
    try:
        for g in groups:
            with lock:
                _move_group(g, catalog, journal, home, report, writers, released)
            _checkpoint("trash-group-done")  # outside the lock: the test of queries meanwhile stops here
    finally:
        for writer in writers:
            writer.close()
        if released:
            with lock:
                release(released)  # vectors of content no file holds any more; also after an error
    return report


def _move_group(g: GroupMove, catalog: Catalog, journal: Journal, home: Path, report: TrashReport,
                writers: list[Writer], released: set[str]) -> None:
    if any(m.path == g.keeper.path for m in g.move):
        raise InputError(f"{g.keeper.path} is its group's keeper and cannot be moved")
    why = problem(g.keeper, catalog)
    if why is not None:  # the group's last copy would go: nothing of it moves
        report.skipped += [(m.path, f"kept: the keeper {g.keeper.path} is {why}") for m in g.move]
        return
    for m in g.move:
        why, went = problem(m, catalog) or _same_file(m.path, g.keeper.path), ""
        if why is None:
            if not writers:
                writers.append(journal.start())
                report.operation = writers[0].id
            why, went = _move_one(m, catalog, writers[0], home, g.keeper.path)
        if why is None:
            released.add(m.hash)
            report.bytes += m.bytes
            report.moved.append((m.path, went))
        else:
            report.skipped.append((m.path, why))
            if writers:
                writers[0].write({"step": "skip", "path": m.path, "reason": why})


def _same_file(path: str, keeper: str) -> str | None:
    """Why `path` may not go: it is the keeper's very file under another name (a hard link, a
    bind mount, the same share mounted twice), so moving it frees nothing or takes the keeper."""
    try:
        a, b = os.lstat(path), os.stat(keeper)
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino):
        return f"the same file as its keeper {keeper} (another path to it); nothing moved"
    return None


def _move_one(m: Item, catalog: Catalog, writer: Writer, home: Path, keeper: str) -> tuple[str | None, str]:
    """(None, where it went in the trash), or (why it stayed, "")."""
    try:
        where = fd.trash_dir_for(m.path, home)
        spot = fd.pick(m.path, where)
    except fd.TrashUnavailable as exc:
        return str(exc) + "; nothing moved", ""
    except OSError as exc:
        return f"gone or unreadable ({exc.strerror})", ""
    writer.write({"step": "move", "path": m.path, "hash": m.hash, "bytes": m.bytes, "trash_dir": spot.trash_dir,
                  "trash_file": spot.trash_file, "info_file": spot.info_file, "top": spot.top})
    _checkpoint("trash-journaled")
    try:
        fd.claim(spot, m.path)
    except OSError as exc:
        reason = f"its trash name was taken meanwhile ({exc.strerror})" if isinstance(exc, FileExistsError) \
            else f"the trash cannot be written ({exc.strerror})"
        writer.write({"step": "not-moved", "path": m.path, "reason": reason})
        return reason, ""
    try:
        fd.move_in(m.path, spot)
    except OSError as exc:
        reason = f"could not be moved ({exc.strerror}); nothing moved"
        writer.write({"step": "not-moved", "path": m.path, "reason": reason})
        return reason, ""
    if not os.path.lexists(keeper):  # the keeper went with it: one file under two mounts
        reason = f"the keeper {keeper} went with it (the same file under another mount); put straight back"
        try:
            fd.move_out(spot, m.path)
        except OSError as exc:
            reason = f"the keeper {keeper} went with it, and it could not be put back ({exc.strerror}); " \
                     f"it is in the trash as {spot.trash_file}"
            with catalog.transaction():
                catalog.delete([m.path])
            writer.write({"step": "moved", "path": m.path})
            return reason, ""
        writer.write({"step": "not-moved", "path": m.path, "reason": reason})
        return reason, ""
    _checkpoint("trash-moved")
    with catalog.transaction():
        catalog.delete([m.path])
    writer.write({"step": "moved", "path": m.path})
    return None, spot.trash_file


def restore(
    op: Operation,
    catalog: Catalog,
    journal: Journal,
    *,
    reindex: Callable[[list[str]], int],
) -> RestoreReport:
    """Put back every file of `op` still in the trash, at its original path, never over
    anything that stands there now; missing folders are made again. Restored files are
    indexed again (`reindex`)."""
    report = RestoreReport(op.id)
    with journal.append(op) as writer:
        for e in op.entries.values():
            if e.state != IN_TRASH:
                continue
            why = _restore_one(e, writer, report)
            if why is not None:
                report.skipped.append((e.path, why))
        if report.restored:
            report.indexed = reindex(report.restored)
            writer.write({"step": "indexed"})
    return report


def _restore_one(e: Entry, writer: Writer, report: RestoreReport) -> str | None:
    if not os.path.lexists(e.spot.trash_file):
        writer.write({"step": "gone", "path": e.path, "reason": "no longer in the trash"})
        return f"no longer in the trash ({e.spot.trash_file}); emptied?"
    why = not_ours(e)
    if why is not None:  # never put a stranger's file at our path, nor delete its .trashinfo
        writer.write({"step": "gone", "path": e.path, "reason": why})
        return why
    if os.path.lexists(e.path):
        return "something stands at its path now; it was left in the trash"
    writer.write({"step": "restore", "path": e.path})
    _checkpoint("restore-journaled")
    try:
        made = fd.move_out(e.spot, e.path)
    except FileExistsError:
        writer.write({"step": "not-restored", "path": e.path, "reason": "something stands there now"})
        return "something stands at its path now; it was left in the trash"
    except OSError as exc:
        writer.write({"step": "not-restored", "path": e.path, "reason": str(exc.strerror)})
        return f"could not be put back ({exc.strerror}); it is still in the trash"
    _checkpoint("restore-moved")
    writer.write({"step": "restored", "path": e.path})
    report.restored.append(e.path)
    report.folders_made += made
    return None


def not_ours(e: Entry) -> str | None:
    """Why the file at e.spot is not the one we trashed (the trash was emptied and the name
    reused), or None: its .trashinfo must name e.path, and its size and SHA-256 must be the
    journal's."""
    gone = f"no longer in the trash: {e.spot.trash_file} now holds another file (emptied?)"
    if not fd.is_ours(e.spot, e.path):
        return gone
    try:
        st = os.lstat(e.spot.trash_file)
        if not stat.S_ISREG(st.st_mode) or st.st_size != e.bytes or sha256_file(e.spot.trash_file) != e.hash:
            return gone
    except (OSError, NotAnImageError):
        return gone
    return None


def reconcile(
    catalog: Catalog,
    journal: Journal,
    *,
    release: Callable[[set[str]], None],
    reindex: Callable[[list[str]], int],
) -> None:
    """Finish what a killed `--trash` or `restore` left open, from what is on disk (a rename
    is atomic, so each file is in exactly one place): a file found in the trash loses its
    catalog row (its content is released), a file found back in the library is indexed again."""
    released: set[str] = set()
    for op in journal.operations():
        pending = op.pending()
        if not (pending or op.needs_index):
            continue
        with journal.append(op) as writer:
            for e in pending:
                e.state = _settle(e, writer)
                if e.state == IN_TRASH:
                    row = catalog.row(e.path)
                    if row is not None and not os.path.lexists(e.path):
                        with catalog.transaction():
                            catalog.delete([e.path])
                        if row.hash:
                            released.add(row.hash)
            back = [e.path for e in op.entries.values() if e.state == RESTORED and os.path.lexists(e.path)]
            if op.needs_index or any(e.state == RESTORED for e in pending):
                missing = [p for p in back if catalog.row(p) is None]
                if missing:
                    reindex(missing)
                writer.write({"step": "indexed", "reconciled": True})
    if released:
        release(released)


def _settle(e: Entry, writer: Writer) -> str:
    here, there = os.path.lexists(e.path), os.path.lexists(e.spot.trash_file)
    note = {"reconciled": True}
    if e.state == MOVING:
        if there and not here:
            writer.write({"step": "moved", "path": e.path, **note})
            return IN_TRASH
        if fd.is_ours(e.spot, e.path) and not there:
            fd.release(e.spot)  # created, but the file never went in
        writer.write({"step": "not-moved", "path": e.path, "reason": "interrupted before the move", **note})
        return KEPT
    assert e.state == RESTORING
    if here and there and os.path.samefile(e.path, e.spot.trash_file):
        os.unlink(e.spot.trash_file)  # killed between the link and the unlink
        there = False
    if here and not there:
        if fd.is_ours(e.spot, e.path):
            fd.release(e.spot)
        writer.write({"step": "restored", "path": e.path, **note})
        return RESTORED
    if there:
        writer.write({"step": "not-restored", "path": e.path, "reason": "interrupted before the move", **note})
        return IN_TRASH
    writer.write({"step": "gone", "path": e.path, **note})
    return GONE
