"""The SQLite catalog: which path holds which content hash, and which roots are indexed.

Paths are rows that point at a hash; the hash is the vector id in Chroma. Moving, renaming
or copying a photo touches rows only. Schema changes bump `user_version` with an explicit
migration in MIGRATIONS.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from photofind.store.browsing import LibraryRows
from photofind.store.fingerprints import FingerprintRows
from photofind.store.sql import select_in

COLLECTION_INFO = "collection:"  # meta key prefix: one JSON summary per vector collection
SCHEMA_VERSION = 6
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE files (
        path TEXT PRIMARY KEY,
        hash TEXT,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'skipped')),
        error TEXT,
        indexed_at REAL NOT NULL
    );
    CREATE INDEX files_hash ON files (hash);
    CREATE TABLE roots (path TEXT PRIMARY KEY, added_at REAL NOT NULL);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # What `dupes` compares, per content hash, whatever the model: pHash and a 4 KB thumbnail.
    # Stores from version 1 start empty; `dupes` fills in what is missing.
    2: """
    CREATE TABLE fingerprints (
        hash TEXT PRIMARY KEY,
        phash TEXT NOT NULL,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        taken TEXT,
        thumb BLOB NOT NULL,
        inner TEXT NOT NULL
    );
    """,
    # photofind.store.mirror: each collection's vectors as float32 bytes, for full scans
    3: """
    CREATE TABLE vectors (
        collection TEXT NOT NULL,
        hash TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (collection, hash)
    );
    """,
    # `status` counts files and distinct hashes, and lists the skipped, from this index alone:
    # without it, 150 ms of table scan at 100,000 files on every call.
    4: """
    CREATE INDEX IF NOT EXISTS files_status ON files (status, hash);
    """,
    # The web page's library (photofind.store.browsing): the newest photos a page at a time
    # without sorting the table on every view; and a folder's photo count from indexes alone
    # (every row under it by the path key, less its skipped ones: few, so a small partial index).
    5: """
    CREATE INDEX IF NOT EXISTS files_recent ON files (mtime_ns) WHERE status = 'ok';
    CREATE INDEX IF NOT EXISTS files_skipped_path ON files (path) WHERE status = 'skipped';
    """,
    # `dupes` tests colour too: a 16x16 RGB thumbnail. Older rows keep NULL until `dupes`
    # refills them from one of their files (FingerprintRows.without_fingerprint).
    6: """
    ALTER TABLE fingerprints ADD COLUMN colour BLOB;
    """,
}


@dataclass(frozen=True)
class FileRow:
    path: str
    hash: str | None
    size: int
    mtime_ns: int
    status: str  # "ok" (its hash has a vector) or "skipped" (error says why)
    error: str | None = None


def _under(root: str) -> tuple[str, str]:
    """Bounds of every path strictly below `root`: '/' + 1 == '0' in ASCII, so a range scan works."""
    prefix = root.rstrip("/") + "/"
    return prefix, prefix[:-1] + "0"


class Catalog(FingerprintRows, LibraryRows):
    def __init__(self, path: Path) -> None:
        self.path = path
        # The store lock makes this process the only writer, so one connection is enough.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            from photofind.errors import StoreMismatchError

            raise StoreMismatchError(
                f"the catalog at {self.path} was written by a newer photofind (schema {version}); upgrade photofind"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[target].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target}")

    def close(self) -> None:
        self.db.close()

    def transaction(self) -> "_Transaction":
        return _Transaction(self.db)

    # -- roots -------------------------------------------------------------------------------
    def add_roots(self, roots: Iterable[Path]) -> None:
        with self.transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO roots (path, added_at) VALUES (?, ?)",
                [(str(r), time.time()) for r in roots],
            )

    def roots(self) -> list[Path]:
        return [Path(r) for (r,) in self.db.execute("SELECT path FROM roots ORDER BY path")]

    # -- files -------------------------------------------------------------------------------
    def rows_under(self, root: Path) -> dict[str, FileRow]:
        low, high = _under(str(root))
        cur = self.db.execute(
            "SELECT path, hash, size, mtime_ns, status, error FROM files WHERE path >= ? AND path < ?",
            (low, high),
        )
        return {r[0]: FileRow(*r) for r in cur}

    def rows_for(self, paths: Iterable[str]) -> dict[str, FileRow]:
        """path -> row for those of `paths` that are catalogued, in batched lookups."""
        sql = "SELECT path, hash, size, mtime_ns, status, error FROM files WHERE path IN ({})"
        return {r[0]: FileRow(*r) for r in select_in(self.db, sql, paths)}

    def row(self, path: str) -> FileRow | None:
        return self.rows_for([path]).get(path)

    def hashes_of(self, paths: Iterable[str]) -> set[str]:
        """The content hashes those paths point at now (before a delete or an overwrite)."""
        return {r.hash for r in self.rows_for(paths).values() if r.hash}

    def upsert(self, rows: Iterable[FileRow]) -> None:
        now = time.time()
        self.db.executemany(
            "INSERT OR REPLACE INTO files (path, hash, size, mtime_ns, status, error, indexed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r.path, r.hash, r.size, r.mtime_ns, r.status, r.error, now) for r in rows],
        )

    def move(self, src: str, dest: str) -> tuple[int, set[str]]:
        """A file or folder was moved: its rows follow it (vectors are untouched). Returns the rows
        moved, and the hashes of rows the move overwrote at `dest` (their vectors may be orphans now)."""
        overwritten = self.hashes_of([dest]) | {r.hash for r in self.rows_under(Path(dest)).values() if r.hash}
        moved = self.db.execute("UPDATE OR REPLACE files SET path = ? WHERE path = ?", (dest, src)).rowcount
        low, high = _under(src)
        moved += self.db.execute(
            "UPDATE OR REPLACE files SET path = ? || substr(path, ?) WHERE path >= ? AND path < ?",
            (dest.rstrip("/") + "/", len(low) + 1, low, high),
        ).rowcount
        return moved, overwritten

    def delete(self, paths: Iterable[str]) -> None:
        self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    def referenced_hashes(self) -> set[str]:
        return {h for (h,) in self.db.execute("SELECT DISTINCT hash FROM files WHERE status = 'ok'")}

    def unreferenced(self, hashes: Iterable[str]) -> set[str]:
        """Those of `hashes` that no indexed file points at any more: costs the candidates, not the catalog."""
        candidates = set(hashes)
        sql = "SELECT DISTINCT hash FROM files WHERE status = 'ok' AND hash IN ({})"
        return candidates - {h for (h,) in select_in(self.db, sql, sorted(candidates))}

    def paths_for(self, hashes: Iterable[str]) -> dict[str, list[tuple[str, int]]]:
        """hash -> [(path, mtime_ns)] of the indexed files holding that content, by path."""
        return {h: [(r.path, r.mtime_ns) for r in rows] for h, rows in self.rows_by_hash(hashes).items()}

    def iter_ok(self) -> Iterator[FileRow]:
        cur = self.db.execute(
            "SELECT path, hash, size, mtime_ns, status, error FROM files WHERE status = 'ok' ORDER BY path"
        )
        return (FileRow(*r) for r in cur)

    def counts(self) -> tuple[int, int, Counter[str]]:
        """(files with a vector, distinct hashes among them, skipped reasons -> count)."""
        ok, unique = self.db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT hash) FROM files WHERE status = 'ok'"
        ).fetchone()
        skipped = Counter(
            {e or "unknown": n for e, n in self.db.execute(
                "SELECT error, COUNT(*) FROM files WHERE status = 'skipped' GROUP BY error"
            )}
        )
        return ok, unique, skipped

    def skipped(self, limit: int = 20) -> list[FileRow]:
        cur = self.db.execute(
            "SELECT path, hash, size, mtime_ns, status, error FROM files WHERE status = 'skipped'"
            " ORDER BY path LIMIT ?",
            (limit,),
        )
        return [FileRow(*r) for r in cur]

    def exact_groups(self) -> Iterator[list[FileRow]]:
        """Rows of each content hash that more than one indexed path holds, one list per hash,
        streamed from SQL: no vector is needed to find identical files."""
        cur = self.db.execute(
            "SELECT path, hash, size, mtime_ns, status, error FROM files WHERE status = 'ok' AND hash IN"
            " (SELECT hash FROM files WHERE status = 'ok' GROUP BY hash HAVING COUNT(*) > 1) ORDER BY hash, path"
        )
        group: list[FileRow] = []
        for r in cur:
            if group and group[0].hash != r[1]:
                yield group
                group = []
            group.append(FileRow(*r))
        if group:
            yield group

    def rows_by_hash(self, hashes: Iterable[str]) -> dict[str, list[FileRow]]:
        """hash -> its indexed rows, by path."""
        found: dict[str, list[FileRow]] = {}
        sql = ("SELECT path, hash, size, mtime_ns, status, error FROM files WHERE status = 'ok'"
               " AND hash IN ({}) ORDER BY path")
        for r in select_in(self.db, sql, hashes):
            found.setdefault(r[1], []).append(FileRow(*r))
        return found

    # -- meta --------------------------------------------------------------------------------
    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def get_meta(self, key: str) -> str | None:
        r = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return r[0] if r else None

    def unmark_in_sync(self, keep: str | None = None) -> None:
        """Rows changed: every collection but `keep` (the one being written) is no longer known to
        match them, since rows are shared by every model; its next apply reconciles."""
        self.db.execute("UPDATE meta SET value = '0' WHERE key LIKE 'in_sync:%' AND key IS NOT ?", (keep,))

    def set_collection_info(self, info: dict[str, Any]) -> None:
        """What a vector collection holds, kept here so `status` never has to open Chroma."""
        self.set_meta(COLLECTION_INFO + info["name"], json.dumps(info, sort_keys=True))

    def collection_infos(self) -> list[dict[str, Any]]:
        low, high = COLLECTION_INFO, COLLECTION_INFO[:-1] + chr(ord(COLLECTION_INFO[-1]) + 1)
        cur = self.db.execute("SELECT value FROM meta WHERE key >= ? AND key < ? ORDER BY key", (low, high))
        return [json.loads(v) for (v,) in cur]


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")
