"""Walking photo folders: one stat per entry, nothing read, hidden and excluded names pruned."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
import re
from fnmatch import translate
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from photofind.media.files import kind_reason, link_reason
from photofind.media.formats import RAW_EXTENSIONS

# Why a RAW file with a photo of the same name beside it is not indexed (status groups by reason).
RAW_TWIN = "RAW twin: the photo of the same name beside it is indexed instead"


@dataclass(frozen=True)
class FileStat:
    path: str
    size: int
    mtime_ns: int


class PathFilter:
    """Which names photofind looks at: a known image extension, and no excluded glob on the way."""

    def __init__(self, extensions: Sequence[str], exclude: Sequence[str]) -> None:
        self.extensions = tuple(e.lower() for e in extensions)
        self.exclude = tuple(exclude)
        # All globs as one compiled regex: a rescan tests every name, 100k+ of them.
        self._excluded = re.compile("|".join(f"(?:{translate(g)})" for g in exclude)) if exclude else None

    def excluded(self, name: str, rel_path: str) -> bool:
        if self._excluded is None:
            return False
        return bool(self._excluded.match(name) or (rel_path != name and self._excluded.match(rel_path)))

    def wants_file(self, path: str, root: str | None = None) -> bool:
        """For single paths (the watcher): extension, and no excluded component below the root."""
        return path.lower().endswith(self.extensions) and self.wants_folder(path, root)

    def wants_folder(self, path: str, root: str | None = None) -> bool:
        """No component of `path` below `root` is excluded (a hidden or trash folder, say)."""
        rel = os.path.relpath(path, root) if root else os.path.basename(path)
        if rel.startswith(".."):
            return False  # outside the root
        parts = [] if rel == "." else rel.split(os.sep)
        return not any(self.excluded(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts))


def scan(
    root: Path, path_filter: PathFilter, unreadable: list[str] | None = None,
    specials: list[tuple[FileStat, str]] | None = None,
) -> Iterator[FileStat]:
    """Every wanted regular file under `root` (a symlink to one counts). Symlinked folders are not
    followed (loops, double counting). Folders that cannot be listed are appended to `unreadable`,
    so their rows are not dropped. Wanted names that are FIFOs, sockets, devices, dangling links
    or link loops are appended to `specials` with the reason: never opened, shown by `status`."""
    stack = [(str(root), "")]
    while stack:
        folder, rel = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            if unreadable is not None:
                unreadable.append(folder)
            continue
        for entry in entries:
            rel_path = f"{rel}/{entry.name}" if rel else entry.name
            if path_filter.excluded(entry.name, rel_path):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, rel_path))
                elif entry.name.lower().endswith(path_filter.extensions):
                    found, reason = _regular(entry)
                    if reason is None:
                        yield found
                    elif specials is not None:
                        specials.append((found, reason))
            except OSError:
                continue


def _regular(entry: os.DirEntry[str]) -> tuple[FileStat, str | None]:
    """(its stat, None) for a regular file or a link to one; else (the link's own stat, why it is
    skipped). A symlink to a folder is left out as before (OSError), not reported."""
    try:
        st = entry.stat()  # follows symlinks
    except OSError as exc:
        reason = link_reason(entry.path, exc)
        if reason is None:
            raise
        st = entry.stat(follow_symlinks=False)
        return FileStat(entry.path, st.st_size, st.st_mtime_ns), reason
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(entry.path)
    return FileStat(entry.path, st.st_size, st.st_mtime_ns), kind_reason(st.st_mode)


def raw_twins(paths: Iterable[str]) -> dict[str, str]:
    """Each RAW path that has a non-RAW photo of the same name in its folder (IMG_1.CR2 and
    IMG_1.jpg or IMG_1.JPG), mapped to that photo. Pure: `paths` are the wanted files seen.
    The camera wrote both from one exposure, so only the photo is indexed (as rclip does)."""
    paths = paths if isinstance(paths, list) else list(paths)
    raws: dict[str, list[str]] = {}
    for path in paths:
        if path.lower().endswith(RAW_EXTENSIONS):
            raws.setdefault(path.rpartition(".")[0], []).append(path)  # every path has an extension
    if not raws:
        return {}  # a rescan of a library without RAW files pays one endswith per file
    twins: dict[str, str] = {}
    for path in paths:
        stem = path.rpartition(".")[0]
        if stem in raws and not path.lower().endswith(RAW_EXTENSIONS):
            for raw in raws[stem]:
                twins.setdefault(raw, path)
    return twins


def folder_files(folders: Iterable[str], path_filter: PathFilter) -> list[FileStat]:
    """The wanted files directly in each folder (not below): what raw_twins needs to judge the
    RAW files of a few folders that changed (the watcher), without a rescan of the root."""
    found: list[FileStat] = []
    for folder in set(folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.name.lower().endswith(path_filter.extensions) and entry.is_file() \
                        and not path_filter.excluded(entry.name, entry.name):
                    st = entry.stat()
                    found.append(FileStat(entry.path, st.st_size, st.st_mtime_ns))
            except OSError:
                continue
    return found
