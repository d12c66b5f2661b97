"""The catalog read as a library, without a query: the newest photos, a folder's own photos and
its subfolders. Every page is a handful of index seeks (the `files_recent` index, the path
primary key) with a keyset cursor, so a page costs the same at 100,000 photos as at 100:
no query here reads the whole table.

Folders are not stored anywhere: they are the path prefixes of the rows. A folder's
subfolders are found by seeking past each one (`S/` .. `S0`, since '/' + 1 == '0' in ASCII);
only the photos lying directly beside them are stepped over one by one."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

COUNT_CAP = 1000  # a folder's photo count stops here ("1,000+"): counting reads index pages, 10,000 cost 40 ms a page


@dataclass(frozen=True)
class PhotoRow:
    rowid: int
    path: str
    hash: str
    size: int
    mtime_ns: int


_PHOTO = "SELECT rowid, path, hash, size, mtime_ns FROM files"


def _range(folder: str) -> tuple[str, str]:
    """Bounds of every path strictly below `folder`."""
    prefix = folder.rstrip("/") + "/"
    return prefix, prefix[:-1] + "0"


class LibraryRows:
    """Mixed into Catalog: its connection."""

    db: sqlite3.Connection

    def recent(self, limit: int, before: tuple[int, int] | None = None) -> list[PhotoRow]:
        """Indexed files, newest file time first (rowid breaks ties); `before` is the last
        (mtime_ns, rowid) of the previous page."""
        # named: without statistics the planner would rather sort the files_status range
        sql = f"{_PHOTO} INDEXED BY files_recent WHERE status = 'ok'"
        args: tuple[object, ...] = ()
        if before is not None:
            sql += " AND (mtime_ns, rowid) < (?, ?)"
            args = before
        sql += " ORDER BY mtime_ns DESC, rowid DESC LIMIT ?"
        return [PhotoRow(*r) for r in self.db.execute(sql, (*args, limit))]

    def photos_in(self, folder: str, limit: int, after: str = "") -> list[PhotoRow]:
        """Indexed files directly in `folder` (not in its subfolders), by path, after `after`.
        A row inside a subfolder sends the next seek past that whole subfolder."""
        prefix, high = _range(folder)
        cursor = after + "\0" if after.startswith(prefix) else prefix
        found: list[PhotoRow] = []
        while len(found) < limit:
            want = limit - len(found)
            rows = self.db.execute(f"{_PHOTO} WHERE path >= ? AND path < ? AND +status = 'ok' ORDER BY path LIMIT ?",
                                   (cursor, high, want)).fetchall()
            for r in rows:
                rest = r[1][len(prefix):]
                if "/" in rest:  # the first row of a subfolder: skip the rest of it
                    cursor = prefix + rest.split("/", 1)[0] + "0"
                    break
                found.append(PhotoRow(*r))
                cursor = r[1] + "\0"
            else:
                if len(rows) < want:
                    break
        return found

    def subfolders(self, folder: str, limit: int, after: str = "") -> list[str]:
        """The folders directly in `folder` that hold an indexed file at any depth, by path,
        after the folder `after`. Each is one seek; files lying directly in `folder` between
        them are passed over inside SQLite."""
        prefix, high = _range(folder)
        cursor = after.rstrip("/") + "0" if after.startswith(prefix) else prefix
        found: list[str] = []
        while len(found) < limit:
            row = self.db.execute(
                "SELECT path FROM files WHERE path >= ? AND path < ? AND +status = 'ok'"
                " AND instr(substr(path, ?), '/') > 0 ORDER BY path LIMIT 1",
                (cursor, high, len(prefix) + 1),
            ).fetchone()
            if row is None:
                break
            sub = prefix + row[0][len(prefix):].split("/", 1)[0]
            found.append(sub)
            cursor = sub + "0"
        return found

    def folder_summary(self, folder: str, cap: int = COUNT_CAP) -> tuple[int, str | None]:
        """(indexed files below `folder` at any depth, counted up to `cap`; the hash of its
        first one by path, for a cover). Counted on indexes only: the path key's rows less the
        skipped ones (`files_skipped_path`), so no table row is read per photo."""
        low, high = _range(folder)
        skipped = self.db.execute(
            "SELECT COUNT(*) FROM files INDEXED BY files_skipped_path"
            " WHERE status = 'skipped' AND path >= ? AND path < ?", (low, high),
        ).fetchone()[0]
        rows = self.db.execute(
            "SELECT COUNT(*) FROM (SELECT 1 FROM files WHERE path >= ? AND path < ? LIMIT ?)",
            (low, high, cap + skipped),
        ).fetchone()[0]
        cover = self.db.execute(
            "SELECT hash FROM files WHERE path >= ? AND path < ? AND +status = 'ok' ORDER BY path LIMIT 1", (low, high)
        ).fetchone()
        return rows - skipped, cover[0] if cover else None
