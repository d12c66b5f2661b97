"""The library without a query, a page at a time: the newest photos, or one folder's own photos,
and folders (the roots and their top folders, or a folder's subfolders), each with a capped
count and a cover. What `photofind web` shows before anything is asked.

Plain data like photofind.results (no numpy, no store import): the daemon sends it as JSON.
Cursors are opaque strings to the page: "MTIME_NS.ROWID" for the newest photos, a path for a
folder's photos and for folders."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable

from photofind.errors import InputError

if TYPE_CHECKING:
    from photofind.store.browsing import PhotoRow
    from photofind.store.catalog import Catalog

PHOTOS_PAGE = 24
FOLDERS_PAGE = 24
PAGE_MAX = 200


@dataclass(frozen=True)
class LibraryPhoto:
    hash: str
    path: str
    bytes: int
    taken: str  # the file's time (local, ISO): what "newest" is ordered by


@dataclass(frozen=True)
class FolderCard:
    path: str
    photos: int  # indexed files below it, counted up to `capped`
    capped: bool
    cover: str | None  # the content hash of its first photo by path


@dataclass(frozen=True)
class LibraryPage:
    folder: str  # "": the whole library
    roots: list[str]
    photos: list[LibraryPhoto]
    photos_next: str | None  # the cursor of the next page of photos; None: this was the last
    folders: list[FolderCard]
    folders_next: str | None
    trail: list[str] = field(default_factory=list)  # from its root down to `folder`

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LibraryPage":
        return cls(**{**data, "photos": [LibraryPhoto(**p) for p in data["photos"]],
                      "folders": [FolderCard(**f) for f in data["folders"]]})


def outermost(roots: Iterable[str]) -> list[str]:
    """The roots, sorted, less any inside another (its folders are listed under that one)."""
    kept: list[str] = []
    for root in sorted({r.rstrip("/") or "/" for r in roots}, key=lambda r: (r.count("/"), r)):
        if not any(root == k or root.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(root)
    return sorted(kept)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _photo(row: "PhotoRow") -> LibraryPhoto:
    return LibraryPhoto(row.hash, row.path, row.size, datetime.fromtimestamp(row.mtime_ns / 1e9).isoformat())


def _recent_cursor(after: str) -> tuple[int, int] | None:
    if not after:
        return None
    try:
        mtime, rowid = after.split(".")
        return int(mtime), int(rowid)
    except ValueError:
        raise InputError(f"not a page of recent photos: {after!r}") from None


def _card(catalog: "Catalog", path: str) -> FolderCard:
    from photofind.store.browsing import COUNT_CAP

    n, cover = catalog.folder_summary(path, COUNT_CAP)
    return FolderCard(path, n, n >= COUNT_CAP, cover)


def _top_folders(catalog: "Catalog", roots: list[str], after: str, limit: int) -> list[str]:
    """Each root, then its subfolders; `after` is the last one of the previous page."""
    found: list[str] = []
    start = next((i for i, r in enumerate(roots) if _inside(after, r)), 0) if after else 0
    for i in range(start, len(roots)):
        root = roots[i]
        resume = after if after and i == start and _inside(after, root) else ""
        if not resume:
            found.append(root)
        found += catalog.subfolders(root, limit - len(found) + 1, resume if resume != root else "")
        if len(found) > limit:
            break
    return found


def browse(catalog: "Catalog", roots: Iterable[str], folder: str = "", after: str = "", folders_after: str = "",
           photos: int = PHOTOS_PAGE, folders: int = FOLDERS_PAGE) -> LibraryPage:
    """One page of the library (`folder` ""), or of one folder inside a root."""
    if not (0 <= photos <= PAGE_MAX and 0 <= folders <= PAGE_MAX):
        raise InputError(f"a page holds 0 to {PAGE_MAX} photos or folders")
    top = outermost(roots)
    folder = folder.rstrip("/") or ("/" if folder else "")
    if folder:
        root = next((r for r in top if _inside(folder, r)), None)
        if root is None:
            raise InputError(f"{folder} is not inside an indexed folder")
        rows = catalog.photos_in(folder, photos + 1, after)
        subs = catalog.subfolders(folder, folders + 1, folders_after)
        parts = os.path.relpath(folder, root).split(os.sep) if folder != root else []
        trail = [root] + [os.path.join(root, *parts[: i + 1]) for i in range(len(parts))]
    else:
        rows = catalog.recent(photos + 1, _recent_cursor(after))
        subs = _top_folders(catalog, top, folders_after, folders)
        trail = []
    shown_rows, shown_subs = rows[:photos], subs[:folders]
    next_photos = None
    if len(rows) > photos and shown_rows:
        last = shown_rows[-1]
        next_photos = last.path if folder else f"{last.mtime_ns}.{last.rowid}"
    cards = [c for c in (_card(catalog, s) for s in shown_subs) if c.photos]
    return LibraryPage(folder, top, [_photo(r) for r in shown_rows], next_photos, cards,
                       shown_subs[-1] if len(subs) > folders and shown_subs else None, trail)
