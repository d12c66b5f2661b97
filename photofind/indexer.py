"""Keeping the store in step with the disk: a pure plan, then one apply that everyone calls.

`index`, `reindex` and the watcher all end in `Indexer.apply`. Write order survives a crash
at any line: vectors are upserted before the catalog rows that point at them, rows are
deleted before their vectors are collected, and vector ids are content hashes, so a rerun
finds the work half done and completes it, never duplicating a vector.
"""

from __future__ import annotations

import contextvars
import os
import threading
import time
from collections import deque
from contextlib import AbstractContextManager, nullcontext
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from photofind.store.catalog import Catalog, FileRow
from photofind.embedders.base import Embedder
from photofind.errors import NotAnImageError
from photofind.media.fingerprint import Fingerprint, fingerprint
from photofind.media.hashing import sha256_file
from photofind.results import IndexReport, Progress
from photofind.media.images import open_image
from photofind.media.raw import RAW_EXTRA_MISSING, raw_supported
from photofind.planning import Plan, plan_changes
from photofind.scanner import FileStat, PathFilter, raw_twins, scan
from photofind.store.vectors import VectorStore

if TYPE_CHECKING:
    from photofind.settings import Settings

# Catalog rows for files whose vectors already exist are committed at least this often,
# so a long rename-only run keeps its progress if interrupted.
ROW_FLUSH = 500


@dataclass
class _Item:
    stat: FileStat
    hash: str | None
    prepared: Any = None
    meta: dict[str, Any] | None = None
    error: str | None = None
    fp: Fingerprint | None = None  # for dupes


def retry_reasons() -> tuple[str, ...]:
    """Skip reasons that no longer hold: RAW files skipped for want of rawpy, now installed."""
    return (RAW_EXTRA_MISSING,) if raw_supported() else ()


class Indexer:
    """Applies plans to one (catalog, vector collection, embedder). All three are passed in."""

    def __init__(
        self,
        catalog: Catalog,
        vectors: VectorStore,
        embedder: Embedder,
        *,
        path_filter: PathFilter,
        batch_size: int = 32,
        workers: int = 2,
        max_pixels: int = 200_000_000,
        on_progress: Callable[[Progress], None] | None = None,
        write_lock: AbstractContextManager[object] | None = None,
        stop: threading.Event | None = None,
        on_collected: Callable[[set[str]], None] | None = None,
    ) -> None:
        self.catalog = catalog
        self.vectors = vectors
        self.embedder = embedder
        self.path_filter = path_filter
        self.batch_size = batch_size
        self.workers = max(1, workers)
        self.max_pixels = max_pixels
        self.on_progress = on_progress
        # The daemon answers queries from other threads between our writes: every store access
        # here happens under this lock, while hashing, decoding and inference run outside it.
        self.write_lock = write_lock or nullcontext()
        # Set by SIGTERM in the daemon: finish the batch in flight, then return (resumable).
        self.stop = stop
        self._ids: set[str] | None = None  # vector ids in the collection; we are its only writer
        # Told the hashes whose vectors were collected (no path refers to them): the web
        # thumbnails of that content go with them.
        self.on_collected = on_collected

    # -- entry points -------------------------------------------------------------------------
    def index_roots(
        self, roots: Sequence[Path], *, full: bool = False, on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Scan `roots` and bring the store in line with them. A root that is not there (an
        unplugged drive) is reported and its rows are kept: nothing indexed is lost."""
        started = time.monotonic()
        plan = Plan()
        scanned = 0
        for root in roots:
            if not root.is_dir():
                plan.missing_roots.append(root)
                continue
            unreadable: list[str] = []
            specials: list[tuple[FileStat, str]] = []  # FIFOs, sockets, devices, broken links
            on_disk = list(scan(root, self.path_filter, unreadable, specials))
            scanned += len(on_disk) + len(specials)
            part = plan_changes(on_disk, self.catalog.rows_under(root), full=full, keep_under=unreadable,
                                twins=raw_twins(st.path for st in on_disk), retry=retry_reasons(),
                                specials=specials)
            plan.to_hash += part.to_hash
            plan.skipped += part.skipped
            plan.removed += part.removed
            plan.unchanged += part.unchanged
            plan.unreadable += unreadable
        report = self.apply(plan, full=full, on_progress=on_progress, cancel=cancel)
        report.scanned = scanned
        report.seconds = time.monotonic() - started
        return report

    def apply(
        self, plan: Plan, *, full: bool = False, on_progress: Callable[[Progress], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> IndexReport:
        """Bring the store in line with `plan`, at a cost in proportion to the plan while the
        collection is known to be in step with the catalog (the `in_sync` mark), and with a full
        reconcile otherwise (after a crash, a model switch, or `full`)."""
        report = IndexReport(
            model=self.embedder.id, unchanged=plan.unchanged, missing_roots=list(plan.missing_roots), unreadable=list(plan.unreadable)
        )
        work: list[tuple[FileStat, str | None]] = [(st, None) for st in plan.to_hash]
        in_sync = f"in_sync:{self.vectors.name}"
        with self.write_lock:
            reconcile = full or self.catalog.get_meta(in_sync) != "1"
            if not (work or plan.removed or plan.released or plan.skipped or reconcile):
                # Nothing changed and every row has its vector: a rescan costs the stats and
                # never opens Chroma.
                self._stamp()
                return report
            # The only vectors this apply can orphan: those of the rows it deletes or overwrites.
            released = set(plan.released) | self.catalog.hashes_of(
                [*plan.removed, *(st.path for st, _ in work), *(st.path for st, _ in plan.skipped)])
            with self.catalog.transaction():
                self.catalog.delete(plan.removed)
                # skipped unread (a RAW file's twin): like a deletion, its old vector may go
                self.catalog.upsert(FileRow(st.path, None, st.size, st.mtime_ns, "skipped", why) for st, why in plan.skipped)
                self.catalog.set_meta(in_sync, "0")  # until this apply completes (a crash leaves "0")
                if work or plan.removed or plan.released or plan.skipped:
                    self.catalog.unmark_in_sync(keep=in_sync)  # other models' collections: reconcile later
            report.removed = len(plan.removed)
            report.skipped += [(st.path, why) for st, why in plan.skipped]
            if full and self.vectors.outdated():
                self.vectors.drop()  # built with older index settings: everything is re-embedded anyway
                self._ids = None
            if self._ids is None or full or self.vectors.count() != len(self._ids):
                self._ids = self.vectors.ids()  # listed once, then kept in step by our own writes
            ids = self._ids
            referenced = self.catalog.referenced_hashes() if reconcile else set()
        if reconcile and not full:
            # Rows whose vector is missing (a model switch, a lost collection, a crash) are
            # re-embedded from one of their files (re-hashed by _load if it changed since).
            missing = referenced - ids
            in_work = {st.path for st, _ in work}
            if missing:
                for row in self.catalog.iter_ok():
                    if row.hash in missing and row.path not in in_work:
                        missing.discard(row.hash)
                        work.append((FileStat(row.path, row.size, row.mtime_ns), row.hash))

        stops = [e for e in (self.stop, cancel) if e is not None]
        self._run(work, set() if full else set(ids), report, on_progress or self.on_progress, stops)
        with self.write_lock:
            if reconcile:
                orphans = ids - self.catalog.referenced_hashes()
            else:
                orphans = self.catalog.unreferenced(released & ids)
            if orphans:
                self.vectors.delete(sorted(orphans))
                ids -= orphans
                report.collected = len(orphans)
                if self.on_collected is not None:
                    self.on_collected(orphans)
            with self.catalog.transaction():  # fingerprints are model-independent: gone once no file holds the content
                self.catalog.sweep_fingerprints(None if reconcile else released)
            self._stamp()
            info = self.vectors.describe(count=len(ids))
            if info is not None:
                with self.catalog.transaction():
                    self.catalog.set_collection_info(info)
            stopped = any(e.is_set() for e in stops)
            if not stopped and (not reconcile or ids == self.catalog.referenced_hashes()):
                with self.catalog.transaction():
                    self.catalog.set_meta(in_sync, "1")
        return report

    def prime(self) -> None:
        """List the collection's ids now, so that the first small apply does not pay for it
        (3 s at 100,000 photos): the daemon calls this once after its start-up scan."""
        with self.write_lock:
            if self._ids is None:
                self._ids = self.vectors.ids()

    def _stamp(self) -> None:
        with self.catalog.transaction():
            self.catalog.set_meta("last_index", str(time.time()))
            self.catalog.set_meta("last_model", self.embedder.id)

    # -- the pipeline -------------------------------------------------------------------------
    def _load(self, st: FileStat, known_hash: str | None, existing: set[str]) -> _Item:
        """Runs in a worker thread: hash, and decode + prepare only content with no vector yet.
        A `known_hash` (from the catalog) is trusted only while size and mtime still match."""
        try:
            if known_hash is not None:
                now = os.stat(st.path)
                if (now.st_size, now.st_mtime_ns) != (st.size, st.mtime_ns):
                    known_hash, st = None, FileStat(st.path, now.st_size, now.st_mtime_ns)
            digest = known_hash or sha256_file(st.path)  # opens regular files only: never blocks
        except NotAnImageError as exc:  # NotRegularFileError: a FIFO or device took its place
            return _Item(st, None, error=str(exc))
        except OSError as exc:
            return _Item(st, None, error=f"cannot read file ({exc.strerror or exc})")
        if digest in existing:
            return _Item(st, digest)
        try:
            image, info = open_image(st.path, self.embedder.input_size, self.max_pixels)
            prepared = self.embedder.prepare(image)
        except NotAnImageError as exc:
            return _Item(st, digest, error=str(exc))
        meta: dict[str, Any] = {"width": info.width, "height": info.height}
        if info.taken:
            meta["taken"] = info.taken
        # for dupes, from the upright image already decoded (at least the model's input size)
        return _Item(st, digest, prepared, meta, fp=fingerprint(image, info.width, info.height, info.taken))

    def _run(
        self, work: list[tuple[FileStat, str | None]], existing: set[str], report: IndexReport,
        on_progress: Callable[[Progress], None] | None, stops: list[threading.Event],
    ) -> None:
        if not work:
            return
        total = len(work)
        done = 0
        written = set(existing)  # hashes whose vector is in the collection now
        batch: list[_Item] = []  # new vectors to compute, in order
        rows: list[FileRow] = []  # rows waiting for the batch's vectors to land
        window = self.batch_size * 2 + self.workers * 2
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="photofind-decode")
        pending: deque[Future[_Item]] = deque()
        queue = iter(work)

        def top_up() -> None:
            while len(pending) < window:
                nxt = next(queue, None)
                if nxt is None:
                    return
                # in the caller's context: a model that loads in a worker reports its download there
                pending.append(pool.submit(contextvars.copy_context().run, self._load, nxt[0], nxt[1], existing))

        try:
            top_up()
            while pending:
                item = pending.popleft().result()
                top_up()
                done += 1
                report.hashed += 1
                if item.error:
                    report.skipped.append((item.stat.path, item.error))
                    rows.append(FileRow(item.stat.path, item.hash, item.stat.size, item.stat.mtime_ns, "skipped", item.error))
                elif item.hash in written or any(b.hash == item.hash for b in batch):
                    report.reused += 1  # a copy, a rename, or content embedded earlier in this run
                    rows.append(FileRow(item.stat.path, item.hash, item.stat.size, item.stat.mtime_ns, "ok"))
                else:
                    batch.append(item)
                    rows.append(FileRow(item.stat.path, item.hash, item.stat.size, item.stat.mtime_ns, "ok"))
                if len(batch) >= self.batch_size or (not batch and len(rows) >= ROW_FLUSH):
                    self._flush(batch, rows, written, report)
                    if any(e.is_set() for e in stops):
                        break
                if on_progress:
                    on_progress(Progress(done, total, len(report.skipped)))
            self._flush(batch, rows, written, report)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _flush(self, batch: list[_Item], rows: list[FileRow], written: set[str], report: IndexReport) -> None:
        """Vectors first, then the rows that point at them (and the content's fingerprints), in
        one catalog transaction."""
        vectors = self.embedder.embed_prepared([b.prepared for b in batch]) if batch else None
        with self.write_lock:
            if batch:
                ids = [b.hash for b in batch]
                self.vectors.upsert(ids, vectors, [b.meta or {} for b in batch])  # type: ignore[arg-type]
                written.update(ids)  # type: ignore[arg-type]
                if self._ids is not None:
                    self._ids.update(ids)  # type: ignore[arg-type]
                report.embedded += len(batch)
            if rows:
                with self.catalog.transaction():
                    self.catalog.put_fingerprints([(b.hash, b.fp) for b in batch if b.hash and b.fp])
                    self.catalog.upsert(rows)
        batch.clear()
        rows.clear()


def make_indexer(catalog: Catalog, vectors: VectorStore, embedder: Embedder, settings: "Settings",
                 **extra: Any) -> Indexer:
    """The one way a store's indexer is built from the settings (a command answered here, the
    server's jobs and its watcher): the path filter, batch size, workers and pixel limit, and
    the hook that deletes a content's thumbnails with its vector. `extra`: the server's write
    lock, stop event and progress meter, or a replacement for any of these (eval's own stores
    pass on_collected=None)."""
    from photofind.store.thumbnails import collector

    chosen: dict[str, Any] = dict(
        path_filter=PathFilter(settings.extensions, settings.exclude), batch_size=settings.model.batch_size,
        workers=settings.index.workers, max_pixels=settings.index.max_pixels,
        on_collected=collector(settings.store.cache_dir),
    )
    return Indexer(catalog, vectors, embedder, **{**chosen, **extra})
