"""The desktop trash, as the freedesktop.org Trash specification (1.0) lays it out.

- A file on the same device as the home trash ($XDG_DATA_HOME/Trash, default
  ~/.local/share/Trash) goes there: `files/NAME`, described by `info/NAME.trashinfo`.
- A file on another mount goes to that mount's top directory: `$topdir/.Trash/$uid` when the
  administrator made `$topdir/.Trash` (a real directory with the sticky bit), else
  `$topdir/.Trash-$uid`, created 0700. Never across devices: a trash that cannot be written
  is an error for that file, and nothing is moved.
- The info file is created first, with O_EXCL: that reserves NAME (the spec's own atomicity
  rule), and a trash never holds a file without its .trashinfo.

Written here rather than taken from send2trash because a restore must know exactly which
NAME each file got, and send2trash does not say. Every function takes the home trash as an
argument: nothing here reads the environment but `home_trash()`.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from photofind.errors import PhotofindError


class TrashUnavailable(PhotofindError):
    """The trash for a file cannot be used (not writable, not a folder, another device)."""


@dataclass(frozen=True)
class Trashed:
    """Where one file went: its trash directory, the file there, and its .trashinfo."""

    trash_dir: str
    trash_file: str
    info_file: str
    top: str = ""  # the mount's top directory for a trash on another mount; "" for the home trash


@dataclass(frozen=True)
class TrashDir:
    path: Path
    top: Path | None  # None: the home trash


def home_trash(env: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """$XDG_DATA_HOME/Trash, or ~/.local/share/Trash when XDG_DATA_HOME is unset or relative."""
    data = env.get("XDG_DATA_HOME", "")
    base = Path(data) if data and os.path.isabs(data) else Path.home() / ".local" / "share"
    return base / "Trash"


def _device(path: Path) -> int:
    """The device of `path`, or of its nearest existing ancestor (the home trash may not exist yet)."""
    for p in (path, *path.parents):
        try:
            return p.stat().st_dev
        except OSError:
            continue
    return -1


def mount_point(path: str) -> Path:
    """The top directory of the mount that holds `path` (its folder's, for a link)."""
    p = Path(os.path.abspath(os.path.dirname(path)))
    while not os.path.ismount(p):
        p = p.parent
    return p


def trash_dir_for(path: str, home: Path) -> TrashDir:
    """The trash directory a file at `path` belongs in, created if need be; TrashUnavailable
    with the reason when it cannot be used."""
    dev = os.lstat(path).st_dev
    if dev == _device(home):
        try:
            os.makedirs(home.parent, mode=0o700, exist_ok=True)  # a fresh $XDG_DATA_HOME
        except OSError:
            pass  # _usable says why
        return TrashDir(_usable(home, top=None), None)
    top = mount_point(path)
    uid = str(os.getuid())
    admin = top / ".Trash"
    try:
        st = os.lstat(admin)
        if stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_ISVTX:
            return TrashDir(_usable(admin / uid, top=top), top)
    except OSError:
        pass  # no administrator's trash: the per-user one
    except TrashUnavailable:
        pass  # the spec: then $topdir/.Trash-$uid
    return TrashDir(_usable(top / f".Trash-{uid}", top=top), top)


def _usable(trash: Path, top: Path | None) -> Path:
    """`trash` with files/ and info/ in it, made if missing (0700), on the right device."""
    try:
        if os.path.islink(trash):
            raise OSError(errno.ELOOP, "it is a symbolic link")
        for sub in (trash, trash / "files", trash / "info"):
            try:
                os.mkdir(sub, 0o700)
            except FileExistsError:
                if not sub.is_dir() or sub.is_symlink():
                    raise OSError(errno.ENOTDIR, "it is not a folder") from None
            if sub == trash and top is not None:
                _own(trash)
            if not os.access(sub, os.W_OK | os.X_OK):
                read_only = os.statvfs(sub).f_flag & os.ST_RDONLY
                raise OSError(errno.EROFS, "Read-only file system") if read_only else \
                    OSError(errno.EACCES, "Permission denied")
        if top is not None and _device(trash) != _device(top):
            raise OSError(errno.EXDEV, "it is on another device")
    except OSError as exc:
        where = "its drive" if top is not None else "your home"
        raise TrashUnavailable(f"the trash on {where} ({trash}) cannot be written ({exc.strerror or exc})") from None
    return trash


def _own(trash: Path) -> None:
    """A trash on a shared drive must be ours alone: another user could have made it first,
    to read or swap what goes in. OSError with the reason otherwise."""
    st = os.lstat(trash)
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(errno.ENOTDIR, "it is not a folder")
    if st.st_uid != os.getuid():
        raise OSError(errno.EPERM, f"it belongs to another user (uid {st.st_uid})")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise OSError(errno.EPERM, "others can write to it")


def info_text(original: str, top: Path | None, when: float) -> str:
    """A .trashinfo: Path= URL-escaped (RFC 2396), relative to the top directory for a trash
    on another mount, as the spec allows; DeletionDate= local time, YYYY-MM-DDThh:mm:ss."""
    shown = original
    if top is not None:
        rel = os.path.relpath(original, top)
        if not rel.startswith(".."):
            shown = rel
    escaped = quote(os.fsencode(shown), safe="/")
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(when))
    return f"[Trash Info]\nPath={escaped}\nDeletionDate={stamp}\n"


def original_path(info_file: str, top: str = "") -> str:
    """The Path= of a .trashinfo, absolute (what a desktop's "Restore" would use)."""
    for line in Path(info_file).read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        if line.startswith("Path="):
            value = os.fsdecode(unquote(line[5:], encoding="utf-8", errors="surrogateescape").encode(
                "utf-8", "surrogateescape"))
            if os.path.isabs(value):
                return value
            return os.path.join(top or "/", value)
    raise ValueError(f"{info_file} has no Path= line")


def pick(original: str, where: TrashDir) -> Trashed:
    """A free NAME in the trash for `original`: its own name, or name.2.ext, name.3.ext ...
    Nothing is created: `claim` takes it (the journal records it in between)."""
    base = os.path.basename(original)
    stem, ext = os.path.splitext(base)
    for n in range(1, 10_000):
        name = base if n == 1 else f"{stem}.{n}{ext}"
        target, info = where.path / "files" / name, where.path / "info" / f"{name}.trashinfo"
        if not (os.path.lexists(target) or os.path.lexists(info)):
            return Trashed(str(where.path), str(target), str(info), str(where.top or ""))
    raise TrashUnavailable(f"the trash {where.path} has no free name for {base}")


def claim(spot: Trashed, original: str, when: float | None = None) -> None:
    """Create the .trashinfo with O_EXCL: the spec's reservation of NAME. FileExistsError when
    another program took the name since `pick`."""
    top = Path(spot.top) if spot.top else None
    text = info_text(original, top, time.time() if when is None else when).encode()
    fd = os.open(spot.info_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, text)
        os.fsync(fd)
    finally:
        os.close(fd)


def is_ours(spot: Trashed, original: str) -> bool:
    """Does this .trashinfo describe `original` (so that we may delete it)?"""
    try:
        return original_path(spot.info_file, spot.top) == original
    except (OSError, ValueError):
        return False


def move_in(original: str, spot: Trashed) -> None:
    """The move itself: a rename within one device (atomic: the file is in one place or the
    other). The reservation is released again if it fails."""
    try:
        if os.path.lexists(spot.trash_file):
            raise FileExistsError(errno.EEXIST, "its name in the trash was taken meanwhile")
        os.rename(original, spot.trash_file)
    except OSError:
        release(spot)
        raise
    _sync_dir(os.path.dirname(spot.trash_file))
    _sync_dir(os.path.dirname(original))


def release(spot: Trashed) -> None:
    """Drop a reservation whose file never went in (or came back out)."""
    try:
        os.unlink(spot.info_file)
    except FileNotFoundError:
        pass


def move_out(spot: Trashed, original: str) -> list[str]:
    """Put a trashed file back at `original`, never over anything that stands there, making
    the missing folders on the way (returned). A hard link then an unlink: the link fails if
    the name is taken, atomically, and a crash between the two leaves the same file under both
    names (reconcile finishes it). Where links are not supported, a checked rename."""
    made = []
    folder = Path(original).parent
    missing = [p for p in (folder, *folder.parents) if not os.path.lexists(p)]
    for p in reversed(missing):
        os.mkdir(p, 0o755)
        made.append(str(p))
    try:
        os.link(spot.trash_file, original, follow_symlinks=False)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "something stands there now", original) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOTSUP):
            raise
        if os.path.lexists(original):
            raise FileExistsError(errno.EEXIST, "something stands there now", original) from None
        os.rename(spot.trash_file, original)
    else:
        os.unlink(spot.trash_file)
    release(spot)
    _sync_dir(str(folder))
    return made


def _sync_dir(path: str) -> None:
    """A rename is durable once its folder is synced (kill -9 does not need it; a power cut does)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
