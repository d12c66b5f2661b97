"""The one process that owns a store and answers every command: `photofind serve` (started on
demand by the CLI, exits when idle) and `photofind watch` (the same server, also following the
folders, never idle).

Threads: the main thread writes (index jobs, settled events, rescans); watchdog threads only
record events; socket threads answer queries. Store access is serialised by one lock, held per
write batch, so queries see photos seconds after they land, even while a long job runs.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from photofind.api.handlers import Context, reconcile_journal, run
from photofind.api.requests import DupesRequest, IndexRequest, PingRequest, Request, StopRequest, TrashRequest
from photofind.settings import Settings
from photofind.daemon.activity import ActivityMeter
from photofind.daemon.follower import Follower
from photofind.api.protocol import socket_path
from photofind.daemon.socket_server import Emit, SocketServer
from photofind.daemon.stopping import GRACE, install_stop_signals
from photofind.embedders import Models
from photofind.errors import InputError, PhotofindError
from photofind.indexer import Indexer, make_indexer
from photofind.results import DownloadProgress, IndexReport, Progress, progress_to_json
from photofind.scanner import PathFilter
from photofind.store.catalog import Catalog
from photofind.store.store import CATALOG_NAME, Store

log = logging.getLogger("photofind.daemon")

TICK = 0.25  # seconds between looks at the event and job queues


@dataclass
class _Job:
    request: IndexRequest
    emit: Emit
    gone: threading.Event  # set when the asking client hangs up (Ctrl-C): cancel the job
    future: "Future[Any]"


class Daemon:
    def __init__(self, settings: Settings, roots: list[Path], *, watch: bool = True,
                 idle_minutes: float | None = None, models: Models | None = None, web_host: str | None = None) -> None:
        self.settings = settings
        self.roots = roots
        self.watching = watch
        self.idle_seconds = None if idle_minutes is None else idle_minutes * 60
        self.models = models or Models(settings.model)
        self.path_filter = PathFilter(settings.extensions, settings.exclude)
        self.stop = threading.Event()
        self.lock = threading.RLock()
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.indexers: dict[str, Indexer] = {}
        self.follower: Follower | None = None
        self._busy = 0  # requests in flight
        self._last_request = time.monotonic()
        self._busy_lock = threading.Lock()
        self._jobs_lock = threading.Lock()
        self._closing = False  # set once the loop has ended: no more jobs are taken
        self.activity = ActivityMeter()  # indexing progress, for the web page's status
        self.web_host = web_host  # also serve the web page (photofind.web) on this address

    @property
    def command(self) -> str:
        return "watch" if self.watching else "web" if self.web_host is not None else "serve"

    # -- set-up and tear-down -----------------------------------------------------------------
    def run(self) -> int:
        with Store(self.settings.store.data_dir, self.command, url=self.settings.store.url,
                   wait=self._waiting) as store:
            self.store = store
            if self.watching:
                store.catalog.add_roots(self.roots)
                self.roots = sorted(set(store.catalog.roots()) | set(self.settings.roots))
                if not self.roots:
                    raise InputError("no folders to watch; run: photofind watch PATH")
            _ = store.client  # open Chroma now, not inside the first query
            self.reader = Catalog(store.data_dir / CATALOG_NAME)  # the socket threads' own connection
            # Queries read through the socket threads' connection; jobs run on this thread.
            self.context = Context(store, self.reader, self.settings, self.models, indexer_for=self.indexer_for,
                                   activity=lambda: self.activity.snapshot(len(self.follower or [])))
            reconcile_journal(replace(self.context, catalog=store.catalog))  # a --trash killed midway
            sock = socket_path(store.data_dir)
            server = SocketServer(sock, self.logged_dispatch)
            threading.Thread(target=server.serve_forever, name="photofind-socket", daemon=True).start()
            web = None
            self._install_signals()
            try:
                web = self._start_web() if self.web_host is not None else None
                store.lock_info(socket=str(sock), **({"web": web.url} if web else {}))
                if self.watching:
                    self.follower = Follower(self.settings.watch, self.path_filter)
                    self.follower.add(self.roots)
                    log.info("watching %s with %s; socket %s (pid %d)", ", ".join(map(str, self.roots)),
                             self.models.get(self.watched_model()).id, sock, os.getpid())
                elif self.idle_seconds is None:  # photofind web: until stopped
                    log.info("serving %s; socket %s (pid %d)", store.data_dir, sock, os.getpid())
                else:
                    log.info("serving %s; socket %s (pid %d); exits after %g idle minutes", store.data_dir,
                             sock, os.getpid(), (self.idle_seconds or 0) / 60)
                self._loop()
            finally:
                self._fail_jobs()
                if self.follower is not None:
                    self.follower.close()
                if web is not None:
                    web.stop()
                server.close()
                self.reader.close()
        log.info("stopped; the index is consistent")
        return 0

    def _start_web(self) -> Any:
        """The web page, answered by this server's own dispatch (queries under its lock)."""
        from photofind.web.http_server import start_web

        def answer(request: Request) -> Any:
            return request.decode(self.dispatch(request, lambda _: None, threading.Event()))

        return start_web(self.settings, answer, self.web_host or "127.0.0.1",
                         who=f"photofind {self.command} (pid {os.getpid()})",
                         referenced=self.store.catalog.referenced_hashes())

    def _waiting(self, owner: str) -> None:
        log.info("%s holds the index; waiting for it to finish", owner)

    def _install_signals(self) -> None:
        install_stop_signals(self.stop, log, on_first=lambda name: log.info(
            "%s: finishing the batch in flight, then stopping (at most %g s)", name, GRACE))

    def watched_model(self) -> str:
        """What `watch` indexes with: the model a flag, env or config names, else the library's
        own (the one it was indexed with), so that `index --model effnet-lite0` then a plain
        `watch` goes on with effnet-lite0 instead of asking for CLIP's weights."""
        if self.settings.sources.get("model.name", "default") != "default":
            return self.settings.model.name
        from photofind.library_model import library_model

        return library_model(self.store.catalog) or self.settings.model.name

    def indexer_for(self, name: str | None = None) -> Indexer:
        """One indexer per model (None: the watched one), sharing the write lock and the stop event."""
        embedder = self.models.get(name or self.watched_model())
        if embedder.id not in self.indexers:
            self.indexers[embedder.id] = make_indexer(
                self.store.catalog, self.store.vectors(embedder.id, self.settings.index.space), embedder,
                self.settings, write_lock=self.lock, stop=self.stop, on_progress=self.activity.update,
            )
        return self.indexers[embedder.id]

    # -- the loop -----------------------------------------------------------------------------
    def _loop(self) -> None:
        if self.watching:
            self._rescan("start-up reconcile")
            self.indexer_for().prime()
            # Changes made meanwhile were recorded and go in with the first tick; from here a new
            # photo takes the settle time plus its own indexing.
            log.info("up to date; following changes")
        period = self.settings.watch.rescan_minutes * 60
        next_rescan = time.monotonic() + period
        while not self.stop.is_set():
            self.stop.wait(TICK)
            self._run_jobs()
            if self._idle_too_long():
                log.info("no requests for %g minutes; exiting", (self.idle_seconds or 0) / 60)
                return
            if self.follower is None:
                continue
            try:
                next_rescan = self._follow(next_rescan, period)
            except Exception as exc:  # one failed batch (disk full, a Chroma error) must not stop watch
                log.error("a batch failed (%s: %s); rescanning in a minute", type(exc).__name__, exc,
                          exc_info=not isinstance(exc, PhotofindError))
                next_rescan = time.monotonic() + 60

    def _follow(self, next_rescan: float, period: float) -> float:
        """One tick of watching; returns when the next periodic rescan is due."""
        assert self.follower is not None
        changes = self.follower.drain()
        if any(c.overflowed for c in changes):
            log.warning("events were lost (inotify queue overflow); rescanning")
            self._rescan("overflow reconcile")
        elif time.monotonic() >= next_rescan:
            self._rescan("periodic reconcile")
        else:
            report = self.follower.follow(changes, self.indexer_for(), self.lock)
            if report is not None:
                self._log_batch("changes", report)
            return next_rescan
        return time.monotonic() + period

    def _idle_too_long(self) -> bool:
        if self.idle_seconds is None:
            return False
        with self._busy_lock:
            return self._busy == 0 and self.jobs.empty() and time.monotonic() - self._last_request > self.idle_seconds

    def _rescan(self, why: str, full: bool = False) -> IndexReport:
        report = self.indexer_for().index_roots(self.roots, full=full)
        self._log_batch(why, report)
        return report

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

    # -- jobs -----------------------------------------------------------------------------------
    def _run_jobs(self) -> None:
        """Index jobs run here, on the main thread, like every other write."""
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            try:
                job.future.set_result(self._index(job).to_json())
            except BaseException as exc:
                job.future.set_exception(exc)

    def _index(self, job: _Job) -> IndexReport:
        if job.gone.is_set():
            raise InputError("the client went away before the job started")
        new = [Path(p) for p in job.request.paths if Path(p) not in self.roots]
        def progress(p: Progress | DownloadProgress) -> None:
            if isinstance(p, Progress):
                self.activity.update(p)
            job.emit(progress_to_json(p))

        ctx = replace(self.context, catalog=self.store.catalog, on_progress=progress, cancel=job.gone)
        report: IndexReport = run(job.request, ctx)
        if new and self.watching:  # folders added to a running watch are followed from now on
            self.roots = sorted(set(self.roots) | set(new))
            assert self.follower is not None
            self.follower.add(new)
        if job.gone.is_set():
            log.info("index job cancelled by its client; the batches written so far are kept")
        self._log_batch("index" if job.request.paths else "reindex", report)
        return report

    def _fail_jobs(self) -> None:
        with self._jobs_lock:  # no job is queued after this: _answer checks _closing under the lock
            self._closing = True
            while not self.jobs.empty():
                self.jobs.get_nowait().future.set_exception(
                    InputError(f"photofind {self.command} is stopping; run the command again"))

    # -- requests from the socket -------------------------------------------------------------
    def logged_dispatch(self, request: Request, emit: Emit, gone: threading.Event) -> Any:
        """A socket request; with -v (DEBUG), one line each: the verb, how it ended, how long."""
        if not log.isEnabledFor(logging.DEBUG):
            return self.dispatch(request, emit, gone)
        started, outcome = time.perf_counter(), "answered"
        try:
            return self.dispatch(request, emit, gone)
        except PhotofindError as exc:
            outcome = f"refused ({exc})"
            raise
        except BaseException as exc:
            outcome = f"failed ({type(exc).__name__})"
            raise
        finally:
            log.debug("request %s: %s in %.0f ms", request.verb, outcome, (time.perf_counter() - started) * 1000)

    def dispatch(self, request: Request, emit: Emit, gone: threading.Event) -> Any:
        """Answer one socket request; runs on that connection's thread."""
        with self._busy_lock:
            self._busy += 1
        try:
            return self._answer(request, emit, gone)
        finally:
            with self._busy_lock:
                self._busy -= 1
                self._last_request = time.monotonic()

    def _answer(self, request: Request, emit: Emit, gone: threading.Event) -> Any:
        if isinstance(request, PingRequest):
            return {"pid": os.getpid(), "command": self.command, "roots": [str(r) for r in self.roots],
                    "pending": len(self.follower or [])}
        if isinstance(request, StopRequest):
            log.info("asked to stop by a client")
            self.stop.set()
            return {"pid": os.getpid()}
        if isinstance(request, IndexRequest):
            future: Future[Any] = Future()
            with self._jobs_lock:
                if self._closing or self.stop.is_set():
                    raise InputError(f"photofind {self.command} is stopping; run the command again")
                self.jobs.put(_Job(request, emit, gone, future))
            return future.result()
        # A query loads a model only for what is not indexed, and downloads its weights only if
        # they left the cache: that download's progress goes to this client, as a job's does.
        ctx = replace(self.context, on_progress=lambda p: emit(progress_to_json(p)))
        # Minutes at a million photos, or hundreds of files to move: these take the lock only to
        # write (dupes) or one group at a time (trash), so other queries are answered meanwhile.
        if isinstance(request, (DupesRequest, TrashRequest)):
            return run(request, replace(ctx, write_lock=self.lock)).to_json()
        with self.lock:
            return run(request, ctx).to_json()
