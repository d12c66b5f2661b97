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
from pathlib import Path
from typing import Any, Callable

from photofind.store.catalog import Catalog
from photofind.config import Settings, replace_model
from photofind.daemon.events import ChangeCollector, Changes, OverflowSpy
from photofind.daemon.protocol import socket_path
from photofind.daemon.server import SocketServer
from photofind.daemon.settle import Settler
from photofind.daemon.watcher import start_observer
from photofind.dupes import find_dupes
from photofind.embedders import Embedder, create_embedder
from photofind.errors import InputError
from photofind.indexer import Indexer, IndexReport, Plan
from photofind.scanner import PathFilter, scan
from photofind.filters import Filters
from photofind.search import like, search_text
from photofind.status import collect_status
from photofind.store.store import CATALOG_NAME, Store

log = logging.getLogger("photofind.daemon")

TICK = 0.25  # seconds between looks at the event queue
BURST = 1000  # settled files handed to one apply; a 5,000-photo copy goes in five


class Daemon:
    def __init__(self, settings: Settings, roots: list[Path], make_embedder: Callable[[str], Embedder] | None = None) -> None:
        self.settings = settings
        self.roots = roots
        self.make_embedder = make_embedder or (lambda name: create_embedder(replace_model(settings.model, name)))
        self.path_filter = PathFilter(settings.extensions, settings.exclude)
        self.stop = threading.Event()
        self.lock = threading.RLock()
        self.jobs: queue.Queue[tuple[str, dict[str, Any], Future[Any]]] = queue.Queue()
        self.settler = Settler(settings.watch.settle_seconds, time.monotonic)
        self._embedders: dict[str, Embedder] = {}

    # -- set-up and tear-down -----------------------------------------------------------------
    def run(self) -> int:
        with Store(self.settings.data_dir, "watch", url=self.settings.store_url) as store:
            self.store = store
            store.catalog.add_roots(self.roots)
            self.roots = sorted(set(store.catalog.roots()) | set(self.settings.roots))
            if not self.roots:
                raise InputError("no folders to watch; run: photofind watch PATH")
            self.embedder = self.embedder_for(self.settings.model.name)
            self.vectors = store.vectors(self.embedder.id, self.settings.space)
            _ = store.client  # open Chroma now, not inside the first query
            self.reader = Catalog(store.data_dir / CATALOG_NAME)  # the socket threads' own connection
            self.indexer = Indexer(
                store.catalog, self.vectors, self.embedder, path_filter=self.path_filter,
                batch_size=self.settings.model.batch_size, workers=self.settings.workers,
                max_pixels=self.settings.max_pixels, write_lock=self.lock, stop=self.stop,
            )
            sock = socket_path(store.data_dir)
            server = SocketServer(sock, self.dispatch)
            threading.Thread(target=server.serve_forever, name="photofind-socket", daemon=True).start()
            store.lock_info(socket=str(sock))
            observers = self._watch()
            self._install_signals()
            log.info("watching %s with %s; socket %s (pid %d)",
                     ", ".join(map(str, self.roots)), self.embedder.id, sock, os.getpid())
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
        removed: set[str] = set()
        moves = [m for c in changes for m in c.moves]
        if moves:
            with self.lock, catalog.transaction():
                for src, dest in moves:
                    if catalog.move(src, dest):
                        log.debug("moved %s -> %s", src, dest)
        for c in changes:
            for folder in c.folders:
                if os.path.isdir(folder):
                    for st in scan(Path(folder), self.path_filter):
                        self.settler.touch(st.path)
                removed.update(p for p in catalog.rows_under(Path(folder)) if not os.path.exists(p))
            for path in c.files:
                self.settler.touch(path)
        ready, gone = self.settler.take_ready(limit=BURST)
        removed.update(p for p in gone if catalog.row(p) is not None)
        to_hash = []
        for st in ready:
            row = catalog.row(st.path)
            if row is None or (row.size, row.mtime_ns) != (st.size, st.mtime_ns):
                to_hash.append(st)
        if to_hash or removed:
            started = time.monotonic()
            report = self.indexer.apply(Plan(to_hash=to_hash, removed=sorted(removed)))
            report.scanned = len(to_hash)
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
    def embedder_for(self, name: str | None) -> Embedder:
        name = name or self.settings.model.name
        if name not in self._embedders:
            self._embedders[name] = self.make_embedder(name)
        return self._embedders[name]

    def _run_jobs(self) -> None:
        while True:
            try:
                cmd, args, future = self.jobs.get_nowait()
            except queue.Empty:
                return
            try:
                future.set_result(self._rescan("reindex", full=bool(args.get("full"))).to_json())
            except BaseException as exc:
                future.set_exception(exc)

    def _fail_jobs(self) -> None:
        while not self.jobs.empty():
            _, _, future = self.jobs.get_nowait()
            future.set_exception(InputError("photofind watch is stopping; run the command again"))

    def dispatch(self, cmd: str, args: dict[str, Any]) -> Any:
        if cmd == "ping":
            return {"pid": os.getpid(), "roots": [str(r) for r in self.roots], "pending": len(self.settler)}
        if cmd in ("like", "search"):
            embedder = self.embedder_for(args.get("model"))
            filters = Filters.build(args.get("since"), args.get("until"), args.get("folder"), args.get("min_score"))
            common = {"k": int(args.get("k", 10)), "metric": args.get("metric", "cosine"),
                      "exact": bool(args.get("exact")), "filters": filters}
            with self.lock:
                vectors = self.store.vectors(embedder.id, self.settings.space)
                if cmd == "like":
                    return like(Path(args["image"]), self.reader, vectors, embedder,
                                max_pixels=self.settings.max_pixels, **common).to_json()
                return search_text(str(args["text"]), self.reader, vectors, embedder, **common).to_json()
        if cmd == "dupes":
            embedder = self.embedder_for(args.get("model"))
            with self.lock:
                vectors = self.store.vectors(embedder.id, self.settings.space)
                return find_dupes(self.reader, vectors, near=bool(args.get("near", True)),
                                  max_distance=int(args.get("max_distance", 12))).to_json()
        if cmd == "status":
            embedder = self.embedder_for(args.get("model"))
            with self.lock:
                return collect_status(self.reader, self.store.client, self.store.data_dir, embedder.id).to_json()
        if cmd == "reindex":
            if args.get("model") and args["model"] != self.settings.model.name:
                raise InputError(
                    f"photofind watch indexes with {self.settings.model.name}; restart it with --model {args['model']}"
                )
            if self.stop.is_set():
                raise InputError("photofind watch is stopping; run the command again")
            future: Future[Any] = Future()
            self.jobs.put((cmd, args, future))
            return future.result()
        raise InputError(f"the daemon does not know the command {cmd!r}")
