"""The daemon's main loop: reconcile, follow events through the one indexing path, serve.

Threads: the main thread indexes (start-up reconcile, settled events, periodic rescans,
reindex requests); watchdog threads only record events; socket threads answer queries.
Store access is serialised by one lock, held per write batch, so queries see photos
seconds after they land, while a long index is still running.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
from concurrent.futures import Future
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from photofind.api.handlers import Context, run
from photofind.api.requests import IndexRequest, PingRequest, Request
from photofind.config import Settings
from photofind.daemon.events import ChangeCollector, Changes, OverflowSpy
from photofind.daemon.protocol import socket_path
from photofind.daemon.server import Emit, SocketServer
from photofind.daemon.settle import Settler
from photofind.daemon.watcher import start_observer
from photofind.embedders import Models
from photofind.errors import InputError
from photofind.indexer import Indexer, Plan, plan_changes
from photofind.results import IndexReport
from photofind.scanner import PathFilter, scan
from photofind.store.catalog import Catalog
from photofind.store.store import CATALOG_NAME, Store

log = logging.getLogger("photofind.daemon")

TICK = 0.25  # seconds between looks at the event queue
BURST = 1000  # settled files handed to one apply; a 5,000-photo copy goes in five


class Daemon:
    def __init__(self, settings: Settings, roots: list[Path], models: Models | None = None) -> None:
        self.settings = settings
        self.roots = roots
        self.models = models or Models(settings.model)
        self.path_filter = PathFilter(settings.extensions, settings.exclude)
        self.stop = threading.Event()
        self.lock = threading.RLock()
        self.jobs: queue.Queue[tuple[IndexRequest, Emit, Future[Any]]] = queue.Queue()
        self.settler = Settler(settings.watch.settle_seconds, time.monotonic)

    # -- set-up and tear-down -----------------------------------------------------------------
    def run(self) -> int:
        with Store(self.settings.store.data_dir, "watch", url=self.settings.store.url) as store:
            self.store = store
            store.catalog.add_roots(self.roots)
            self.roots = sorted(set(store.catalog.roots()) | set(self.settings.roots))
            if not self.roots:
                raise InputError("no folders to watch; run: photofind watch PATH")
            embedder = self.models.get()
            _ = store.client  # open Chroma now, not inside the first query
            self.reader = Catalog(store.data_dir / CATALOG_NAME)  # the socket threads' own connection
            index = self.settings.index
            self.indexer = Indexer(
                store.catalog, store.vectors(embedder.id, index.space), embedder, path_filter=self.path_filter,
                batch_size=self.settings.model.batch_size, workers=index.workers,
                max_pixels=index.max_pixels, write_lock=self.lock, stop=self.stop,
            )
            # Queries read through the socket threads' own catalog connection; jobs run on this thread.
            self.context = Context(store, self.reader, self.settings, self.models, indexer=self.indexer)
            sock = socket_path(store.data_dir)
            server = SocketServer(sock, self.dispatch)
            threading.Thread(target=server.serve_forever, name="photofind-socket", daemon=True).start()
            store.lock_info(socket=str(sock))
            observers = self._watch()
            self._install_signals()
            log.info("watching %s with %s; socket %s (pid %d)",
                     ", ".join(map(str, self.roots)), embedder.id, sock, os.getpid())
            try:
                self._loop()
            finally:
                self._fail_jobs()
                for observer in observers:
                    observer.stop()
                server.close()
                self.reader.close()
        log.info("stopped; the index is consistent")
        return 0

    def _install_signals(self) -> None:
        def on_signal(signum: int, _frame: object) -> None:
            log.info("%s: finishing the batch in flight, then stopping", signal.Signals(signum).name)
            self.stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

    def _watch(self) -> list[Any]:
        self.collectors = [ChangeCollector(str(root), self.path_filter) for root in self.roots]
        logging.getLogger("watchdog").addHandler(OverflowSpy(self.collectors))
        observers = []
        for root, collector in zip(self.roots, self.collectors):
            if not root.is_dir():
                log.warning("%s is not there (unmounted?); its entries are kept, not watched", root)
                continue
            observer, how = start_observer(
                root, collector, polling=self.settings.watch.polling, poll_seconds=self.settings.watch.poll_seconds
            )
            log.debug("%s: %s", root, how)
            observers.append(observer)
        return observers

    # -- the loop -----------------------------------------------------------------------------
    def _loop(self) -> None:
        self._rescan("start-up reconcile")
        self.indexer.prime()
        period = self.settings.watch.rescan_minutes * 60
        next_rescan = time.monotonic() + period
        while not self.stop.is_set():
            self.stop.wait(TICK)
            self._run_jobs()
            changes = [c.drain() for c in self.collectors]
            if any(c.overflowed for c in changes):
                log.warning("events were lost (inotify queue overflow); rescanning")
                self._rescan("overflow reconcile")
            elif time.monotonic() >= next_rescan:
                self._rescan("periodic reconcile")
            else:
                self._follow(changes)
                continue
            next_rescan = time.monotonic() + period

    def _rescan(self, why: str, full: bool = False) -> IndexReport:
        report = self.indexer.index_roots(self.roots, full=full)
        self._log_batch(why, report)
        return report

    def _follow(self, changes: list[Changes]) -> None:
        catalog = self.store.catalog
        moves = [m for c in changes for m in c.moves]
        released: set[str] = set()  # hashes of rows a move overwrote
        if moves:
            with self.lock, catalog.transaction():
                for src, dest in moves:
                    moved, overwritten = catalog.move(src, dest)
                    released |= overwritten
                    if moved:
                        log.debug("moved %s -> %s", src, dest)
        removed: set[str] = set()
        for c in changes:
            for folder in c.folders:
                if os.path.isdir(folder):
                    for st in scan(Path(folder), self.path_filter):
                        self.settler.touch(st.path)
                removed.update(p for p in catalog.rows_under(Path(folder)) if not os.path.exists(p))
            for path in c.files:
                self.settler.touch(path)
        ready, gone = self.settler.take_ready(limit=BURST)
        # One batched lookup for the settled files, and the same size/mtime test as a rescan.
        known = catalog.rows_for([st.path for st in ready] + list(gone))
        removed.update(p for p in gone if p in known)
        plan = plan_changes(ready, {st.path: known[st.path] for st in ready if st.path in known})
        if plan.to_hash or removed or released:
            started = time.monotonic()
            report = self.indexer.apply(Plan(to_hash=plan.to_hash, removed=sorted(removed), released=released))
            report.scanned = len(plan.to_hash)
            report.seconds = time.monotonic() - started
            self._log_batch("changes", report)

    def _log_batch(self, what: str, r: IndexReport) -> None:
        if not (r.hashed or r.removed or r.skipped or what != "changes"):
            return
        rate = r.embedded / r.seconds if r.seconds > 0 else 0.0
        log.info(
            "%s: %d files (%d embedded, %d reused, %d skipped, %d removed) in %.1f s, %.1f images/s",
            what, r.hashed, r.embedded, r.reused, len(r.skipped), r.removed, r.seconds, rate,
        )
        for path, reason in r.skipped:
            log.info("skipping %s: %s", path, reason)
        for root in r.missing_roots:
            log.warning("%s is not there (unmounted?); its entries are kept", root)

    # -- requests from the socket -------------------------------------------------------------
    def _run_jobs(self) -> None:
        """Index jobs (reindex) run here, on the main thread, like every other write."""
        while True:
            try:
                request, emit, future = self.jobs.get_nowait()
            except queue.Empty:
                return
            try:
                ctx = replace(self.context, catalog=self.store.catalog, on_progress=lambda p: emit(asdict(p)))
                report: IndexReport = run(request, ctx)
                self._log_batch("reindex", report)
                future.set_result(report.to_json())
            except BaseException as exc:
                future.set_exception(exc)

    def _fail_jobs(self) -> None:
        while not self.jobs.empty():
            _, _, future = self.jobs.get_nowait()
            future.set_exception(InputError("photofind watch is stopping; run the command again"))

    def dispatch(self, request: Request, emit: Emit) -> Any:
        """Answer one socket request; runs on that connection's thread."""
        if isinstance(request, PingRequest):
            return {"pid": os.getpid(), "roots": [str(r) for r in self.roots], "pending": len(self.settler)}
        if isinstance(request, IndexRequest):
            if request.paths:
                raise InputError(f"photofind watch (pid {os.getpid()}) owns this index; "
                                 "add folders by restarting it with them: photofind watch PATH...")
            if request.model and request.model != self.settings.model.name:
                raise InputError(
                    f"photofind watch indexes with {self.settings.model.name}; restart it with --model {request.model}"
                )
            if self.stop.is_set():
                raise InputError("photofind watch is stopping; run the command again")
            future: Future[Any] = Future()
            self.jobs.put((request, emit, future))
            return future.result()
        with self.lock:
            return run(request, self.context).to_json()
