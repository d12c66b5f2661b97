"""Opening a photo's file without ever blocking: only regular files are opened.

`open()` on a FIFO waits for a writer, a read of a device (a symlink to /dev/zero) never ends,
and opening some devices has side effects. Every path that reads a photo (scanner verdicts,
hashing, decoding, RAW, query files, thumbnails, dupes fingerprints) goes through here: the
path is stat'ed (following symlinks) first, opened with O_NONBLOCK (so a file swapped for a
FIFO in between still cannot block the open), and fstat'ed again once open.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from photofind.errors import NotAnImageError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class NotRegularFileError(NotAnImageError):
    """The path is not a regular file (a FIFO, socket, device, folder, dangling symlink or loop):
    it is skipped unread, with this reason."""


def kind_reason(mode: int) -> str | None:
    """Why a file of this st_mode is not read; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    what = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"not a regular file ({what})"


def link_reason(path: str | Path, exc: OSError) -> str | None:
    """Why stat() failed where lstat() may not: a dangling symlink or a symlink loop; None when
    the path itself is not there (or cannot be looked at: the caller's own error)."""
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return "dangling symlink (its target is not there)"
    return None


def _stat_regular(path: str | Path) -> tuple[os.stat_result | None, str | None]:
    """(os.stat(path), None) for a regular file (or a link to one); (None or its stat, reason)
    otherwise. Missing paths and other stat errors raise OSError as os.stat does."""
    try:
        st = os.stat(path)
    except OSError as exc:
        reason = link_reason(path, exc)
        if reason is None:
            raise
        return None, reason
    return st, kind_reason(st.st_mode)


def special_reason(path: str | Path) -> str | None:
    """None when `path` is (or links to) a regular file; else why it is skipped. Missing paths
    and other stat errors raise OSError as os.stat does."""
    return _stat_regular(path)[1]


def check_regular(path: str | Path) -> os.stat_result:
    """os.stat(path) when it is (or links to) a regular file; NotRegularFileError otherwise.
    For libraries that open by name (LibRaw)."""
    st, reason = _stat_regular(path)
    if reason is not None:
        raise NotRegularFileError(reason)
    assert st is not None  # no reason means it was stat'ed as a regular file
    return st


def open_regular(path: str | Path) -> BinaryIO:
    """`path` open for binary reading, if it is a regular file with bytes in it. Raises
    NotRegularFileError (with the reason), NotAnImageError("empty file") or OSError; never
    blocks on a FIFO or device."""
    check_regular(path)
    fd = os.open(path, _FLAGS)
    try:
        st = os.fstat(fd)
        reason = kind_reason(st.st_mode)  # swapped since the stat above
        if reason is not None:
            raise NotRegularFileError(reason)
        if st.st_size == 0:  # also a /proc pseudo-file, which would read on for gigabytes
            raise NotAnImageError("empty file")
        os.set_blocking(fd, True)  # no effect on a regular file's reads; plain semantics for readers
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
