"""Private by default: the data dir and the cache dir are 0700 and their files 0600, as ssh and
gnupg keep theirs. The catalog lists every photo's path and date, and the vectors and thumbnails
describe each photo; on a shared machine none of it is anyone else's business.

- A directory photofind makes is created 0700 (`private_dir`; its parents as the user's umask
  has them). One that exists and lets other users in is tightened once, with everything in it,
  and one log line says so (the CLI prints it; the server logs it).
- Files are created inside `private_files()`, which adds 077 to the process umask while anyone
  holds it. The store holds it for as long as it is open: Chroma (Rust) and SQLite create files
  of their own, from their own threads, whenever they need one (a new collection's segments,
  index files on persist, SQLite's -wal/-shm/-journal), so only a umask catches each of them at
  birth; a chmod pass after would have to chase them after every write.
- `readable_by_others` says what another user can read now (`photofind status` warns).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger("photofind.store")

DIR_MODE = 0o700
OTHERS = 0o077  # group and other bits

_lock = threading.Lock()
_holders = 0
_users_umask: int | None = None  # the umask before the first holder, restored after the last


@contextmanager
def private_files() -> Iterator[None]:
    """Files and folders created in this block (by any thread) get no group or other bits."""
    global _holders, _users_umask
    with _lock:
        if _holders == 0:
            _users_umask = os.umask(OTHERS)
            os.umask(_users_umask | OTHERS)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _users_umask is not None:
                os.umask(_users_umask)
                _users_umask = None


def private_dir(path: Path) -> Path:
    """`path` as a private folder: made 0700 when missing; tightened, with all it holds, when it
    lets other users in (one log line says so). Anything else there (a file) is left for the
    caller's own open to fail on."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=DIR_MODE)
        except FileExistsError:
            pass  # another process made it first; it made it private too
        return path
    if stat.S_ISDIR(mode) and mode & OTHERS:
        tighten(path)
    return path


def tighten(path: Path) -> tuple[int, list[str]]:
    """Take the group and other bits off `path` and everything under it that this user owns
    (symlinks are neither followed nor changed; another user's files are theirs, and `status`
    still reports them). Returns how many entries changed and those that could not be (a
    read-only or permission-less file system), and logs one line."""
    path = path.resolve()  # a data dir reached through a symlink is tightened where it lives
    changed, failed = 0, []
    me = os.geteuid()
    entries = [path]
    for folder, dirs, files in os.walk(path):
        entries += [Path(folder) / name for name in (*dirs, *files)]
    for entry in entries:
        try:
            st = entry.lstat()
            if stat.S_ISLNK(st.st_mode) or not st.st_mode & OTHERS or st.st_uid != me:
                continue
            os.chmod(entry, stat.S_IMODE(st.st_mode) & ~OTHERS)
            if entry.lstat().st_mode & OTHERS:  # vfat, some network mounts: chmod "works" and changes nothing
                failed.append(str(entry))
            else:
                changed += 1
        except FileNotFoundError:
            continue  # removed while we walked
        except OSError as exc:
            failed.append(f"{entry} ({exc.strerror or exc})")
    if changed or failed:
        line = f"made {path} private: other users could read it (now 0700, its files 0600; {changed} changed)"
        if failed:
            line += f"; {len(failed)} could not be changed, e.g. {failed[0]}"
        log.warning(line)
    return changed, failed


def readable_by_others(path: Path) -> list[str]:
    """The files under `path` that a user other than the owner can read now (group or other
    read bits, reached through folders they may enter), relative to `path`. [] = private."""
    found: list[str] = []

    def visit(folder: Path) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError:
                continue
            if stat.S_ISDIR(mode):
                if mode & 0o011:
                    visit(Path(entry.path))
            elif stat.S_ISREG(mode) and mode & 0o044:
                found.append(os.path.relpath(entry.path, path))

    try:
        if not path.stat().st_mode & 0o011:
            return []  # nobody else may enter: nothing in it is reachable
    except OSError:
        return []
    visit(path)
    return found
