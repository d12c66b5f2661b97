"""Following the folders: watchdog observers record events, and each tick turns the settled ones
into one plan for the indexer (the same apply as `index`)."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from photofind.daemon.events import ChangeCollector, Changes, OverflowSpy
from photofind.daemon.settle import Settler
from photofind.daemon.watcher import start_observer
from photofind.indexer import Indexer, retry_reasons
from photofind.media.files import special_reason
from photofind.media.formats import RAW_EXTENSIONS, is_raw
from photofind.planning import Plan, plan_changes
from photofind.results import IndexReport
from photofind.settings import WatchSettings
from photofind.store.catalog import Catalog
from photofind.scanner import FileStat, PathFilter, folder_files, raw_twins, scan

log = logging.getLogger("photofind.daemon")

BURST = 1000  # settled files handed to one apply; a 5,000-photo copy goes in five


def covers(outer: Path, inner: Path, path_filter: PathFilter) -> bool:
    """Whether watching `outer` recursively sees every change in `inner`: it lies below, and no
    folder on the way is excluded (a root inside a hidden folder is watched on its own)."""
    return inner.is_relative_to(outer) and path_filter.wants_folder(str(inner), str(outer))


def outermost(roots: list[Path], path_filter: PathFilter) -> list[Path]:
    """`roots` without those a recursive watch of another of them covers."""
    kept: list[Path] = []
    for root in sorted(set(roots)):  # a parent sorts before everything below it
        if not any(covers(k, root, path_filter) for k in kept):
            kept.append(root)
    return kept


def _split_specials(ready: list[FileStat]) -> tuple[list[FileStat], list[tuple[FileStat, str]]]:
    """(regular files, [(special file, why it is skipped)]): one stat each, nothing opened."""
    regular: list[FileStat] = []
    specials: list[tuple[FileStat, str]] = []
    for st in ready:
        try:
            reason = special_reason(st.path)
        except OSError:
            reason = None  # gone or unreadable now: the indexer reports it as for any file
        if reason is None:
            regular.append(st)
        else:
            specials.append((st, reason))
    return regular, specials


class Follower:
    def __init__(self, watch: WatchSettings, path_filter: PathFilter) -> None:
        self.watch = watch
        self.path_filter = path_filter
        self.settler = Settler(watch.settle_seconds, time.monotonic)
        self.collectors: list[ChangeCollector] = []
        self.observers: list[Any] = []
        self.watched: list[Path] = []
        self._spy = OverflowSpy(self.collectors)
        logging.getLogger("watchdog").addHandler(self._spy)

    def add(self, roots: list[Path]) -> None:
        """Start watching `roots` (a root that is not mounted is reported and skipped). A root
        inside another is watched through the outer one: watchdog opens an inotify instance per
        watched folder, and a user has 128 of them (fs.inotify.max_user_instances)."""
        for root in outermost(roots, self.path_filter):
            if any(covers(w, root, self.path_filter) for w in self.watched):
                continue  # a root added to a running watch, inside one it already follows
            if not root.is_dir():
                log.warning("%s is not there (unmounted?); its entries are kept, not watched", root)
                continue
            collector = ChangeCollector(str(root), self.path_filter)
            observer, how = start_observer(root, collector, polling=self.watch.polling,
                                           poll_seconds=self.watch.poll_seconds)
            self.collectors.append(collector)
            self.observers.append(observer)
            self.watched.append(root)
            log.debug("%s: %s", root, how)

    def close(self) -> None:
        for observer in self.observers:
            observer.stop()
        logging.getLogger("watchdog").removeHandler(self._spy)

    def drain(self) -> list[Changes]:
        return [c.drain() for c in self.collectors]

    def follow(self, changes: list[Changes], indexer: Indexer, lock: threading.RLock) -> IndexReport | None:
        """Moves touch rows only; new, changed and deleted files go through one apply."""
        catalog = indexer.catalog
        moves = [m for c in changes for m in c.moves]
        released: set[str] = set()  # hashes of rows a move overwrote
        if moves:
            with lock, catalog.transaction():
                for src, dest in moves:
                    moved, overwritten = catalog.move(src, dest)
                    released |= overwritten
                    if moved:
                        log.debug("moved %s -> %s", src, dest)
                if released:  # in the same transaction: a crash before the apply below still reconciles
                    catalog.unmark_in_sync()
        removed: set[str] = set()
        for c in changes:
            for folder in c.folders:
                if os.path.isdir(folder):
                    specials: list[tuple[FileStat, str]] = []
                    for st in scan(Path(folder), self.path_filter, specials=specials):
                        self.settler.touch(st.path)
                    for st, _ in specials:
                        self.settler.touch(st.path)
                removed.update(p for p in catalog.rows_under(Path(folder)) if not os.path.exists(p))
            for path in c.files:
                self.settler.touch(path)
        ready, gone = self.settler.take_ready(limit=BURST)
        ready, specials = _split_specials(ready)  # a FIFO named like a photo is never opened
        changed = [st.path for st in ready] + list(gone) + [p for m in moves for p in m]
        ready, twins = self._with_raw_twins(ready, changed, catalog)
        # One batched lookup for the settled files, and the same size/mtime test as a rescan.
        known = catalog.rows_for([st.path for st in ready] + [st.path for st, _ in specials] + list(gone))
        removed.update(p for p in gone if p in known)
        plan = plan_changes(ready, {p: row for p, row in known.items() if p not in gone},
                            twins=twins, retry=retry_reasons(), specials=specials)
        if not (plan.to_hash or plan.skipped or removed or released):
            return None
        started = time.monotonic()
        report = indexer.apply(Plan(to_hash=plan.to_hash, skipped=plan.skipped, removed=sorted(removed), released=released))
        report.scanned = len(plan.to_hash)
        report.seconds = time.monotonic() - started
        return report

    def _with_raw_twins(self, ready: list[FileStat], changed: list[str], catalog: Catalog) -> tuple[list[FileStat], dict[str, str]]:
        """The twin rule of a rescan (scanner.raw_twins), judged from the folders that changed:
        the settled files plus the catalogued RAW files whose photo twin came or went."""
        if not changed or not any(e in RAW_EXTENSIONS for e in self.path_filter.extensions):
            return ready, {}
        nearby = folder_files({os.path.dirname(p) for p in changed}, self.path_filter)
        stems = {os.path.splitext(p)[0] for p in changed if not is_raw(p)}
        taken = {st.path for st in ready}
        others = [st for st in nearby if is_raw(st.path) and st.path not in taken and os.path.splitext(st.path)[0] in stems]
        if others:  # only those already catalogued: a new RAW file comes through the settler
            rows = catalog.rows_for([st.path for st in others])
            ready = ready + [st for st in others if st.path in rows]
        return ready, raw_twins(st.path for st in nearby)

    def __len__(self) -> int:
        return len(self.settler)
