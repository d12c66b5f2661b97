"""A copy of one collection's vectors as raw float32 bytes in the catalog's SQLite file, for the
scans that must see every vector (`--metric l1|corr`, `--exact`).

Chroma hands vectors back as Python lists of floats; SQLite hands back bytes that numpy reads
in place: a full l1 scan read 12-18 times faster from here (docs/performance.md, "Full scans").
The mirror follows every write of its VectorStore; it is trusted only while it holds as many
vectors as Chroma, and is brought back in step from Chroma otherwise (a crash between the two
writes, or a store from before the mirror existed) by its one resync path,
`VectorStore._resync_mirror`, which every full scan runs first."""

from __future__ import annotations

import sqlite3
from typing import Iterator, Sequence

import numpy as np

class VectorMirror:
    """The `vectors` table of the catalog (schema 3), seen for one collection."""

    def __init__(self, db: sqlite3.Connection, collection: str) -> None:
        self.db = db
        self.collection = collection

    def _write(self, sql: str, rows: list[tuple[object, ...]]) -> None:
        # A savepoint nests inside a caller's transaction and is one transaction on its own.
        self.db.execute("SAVEPOINT mirror")
        try:
            self.db.executemany(sql, rows)
        except BaseException:
            self.db.execute("ROLLBACK TO mirror")
            raise
        finally:
            self.db.execute("RELEASE mirror")

    def put(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        self._write("INSERT OR REPLACE INTO vectors (collection, hash, data) VALUES (?, ?, ?)",
                    [(self.collection, i, rows[n].tobytes()) for n, i in enumerate(ids)])

    def drop(self, ids: Sequence[str]) -> None:
        self._write("DELETE FROM vectors WHERE collection = ? AND hash = ?", [(self.collection, i) for i in ids])

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM vectors WHERE collection = ?", (self.collection,)).fetchone()[0])

    def ids(self) -> set[str]:
        return {h for (h,) in self.db.execute("SELECT hash FROM vectors WHERE collection = ?", (self.collection,))}

    def chunks(self, size: int) -> Iterator[tuple[list[str], np.ndarray]]:
        """Every (ids, vectors) page in hash order; memory stays bounded by `size` rows."""
        last = ""
        while True:
            rows = self.db.execute(
                "SELECT hash, data FROM vectors WHERE collection = ? AND hash > ? ORDER BY hash LIMIT ?",
                (self.collection, last, size),
            ).fetchall()
            if not rows:
                return
            ids = [h for h, _ in rows]
            matrix = np.frombuffer(b"".join(d for _, d in rows), dtype=np.float32).reshape(len(rows), -1)
            yield ids, matrix
            last = ids[-1]
