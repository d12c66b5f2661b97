"""The catalog's `fingerprints` table (schema 2, colour since schema 6): per content hash, whatever
the model, what `dupes` compares (pHash, inner pHash, a 64x64 grey thumbnail, a 16x16 colour one,
size and date). Rows from before schema 6 have no colour: `dupes` refills them like missing ones."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Iterable, Iterator

from photofind.store.sql import select_in

if TYPE_CHECKING:
    from photofind.media.fingerprint import Fingerprint

class FingerprintRows:
    """Mixed into Catalog: its connection, and `unreferenced` for the sweep."""

    db: sqlite3.Connection

    def unreferenced(self, hashes: Iterable[str]) -> set[str]:  # provided by Catalog
        raise NotImplementedError

    def put_fingerprints(self, prints: Iterable[tuple[str, "Fingerprint"]]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO fingerprints (hash, phash, width, height, taken, thumb, inner, colour)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(h, f.phash, f.width, f.height, f.taken, f.thumb, f.inner, f.colour) for h, f in prints],
        )

    def fingerprints(self, hashes: Iterable[str]) -> dict[str, "Fingerprint"]:
        from photofind.media.fingerprint import Fingerprint

        sql = "SELECT hash, phash, width, height, taken, thumb, inner, colour FROM fingerprints WHERE hash IN ({})"
        return {h: Fingerprint(*rest) for h, *rest in select_in(self.db, sql, hashes)}

    def phashes(self) -> Iterator[tuple[str, str, str, bytes | None]]:
        """(hash, pHash, inner pHash, colour thumbnail) of every indexed content, by hash, in one
        pass: EXISTS walks the files_status index per row, where IN built a temporary table of
        every hash first (83 of 90 s at 1M rows on the loaded VM)."""
        return self.db.execute(
            "SELECT hash, phash, inner, colour FROM fingerprints AS f WHERE EXISTS"
            " (SELECT 1 FROM files WHERE status = 'ok' AND files.hash = f.hash) ORDER BY hash"
        )

    def without_fingerprint(self) -> list[tuple[str, str]]:
        """(hash, one of its paths) of indexed content with no fingerprint yet, or one without
        colour (older stores)."""
        return self.db.execute(
            "SELECT hash, MIN(path) FROM files WHERE status = 'ok'"
            " AND hash NOT IN (SELECT hash FROM fingerprints WHERE colour IS NOT NULL) GROUP BY hash ORDER BY hash"
        ).fetchall()

    def sweep_fingerprints(self, hashes: Iterable[str] | None = None) -> int:
        """Forget the fingerprints of content no indexed file holds any more: of `hashes` (the
        content an apply released, a cost in proportion to the change), or of all (a reconcile)."""
        if hashes is None:
            return self.db.execute(
                "DELETE FROM fingerprints WHERE hash NOT IN (SELECT hash FROM files WHERE status = 'ok')"
            ).rowcount
        gone = sorted(self.unreferenced(hashes))
        self.db.executemany("DELETE FROM fingerprints WHERE hash = ?", [(h,) for h in gone])
        return len(gone)
