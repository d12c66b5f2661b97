"""The daemon's pure parts: debounce with a fake clock, event translation, watcher fallback."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from watchdog.events import DirCreatedEvent, DirMovedEvent, FileCreatedEvent, FileModifiedEvent, FileMovedEvent

from photofind.settings import DEFAULT_EXCLUDE, DEFAULT_EXTENSIONS
from photofind.daemon.events import ChangeCollector
from photofind.daemon.settle import Settler
from photofind.daemon.watcher import start_observer
from photofind.scanner import PathFilter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_ready_only_after_it_held_still(tmp_path: Path) -> None:
    clock = Clock()
    settler = Settler(2.0, clock)
    f = tmp_path / "a.jpg"
    f.write_bytes(b"x" * 10)
    settler.touch(str(f))
    assert settler.take_ready() == ([], [])  # first look only records size and mtime
    clock.now = 1.5
    f.write_bytes(b"x" * 20)  # still growing
    assert settler.take_ready() == ([], [])
    clock.now = 3.0  # 1.5 s since it last changed
    assert settler.take_ready() == ([], [])
    clock.now = 3.6
    ready, gone = settler.take_ready()
    assert [r.path for r in ready] == [str(f)] and ready[0].size == 20 and gone == []
    assert len(settler) == 0


def test_vanished_files_are_reported_gone(tmp_path: Path) -> None:
    settler = Settler(0.0, Clock())
    settler.touch(str(tmp_path / "never.jpg"))
    assert settler.take_ready() == ([], [str(tmp_path / "never.jpg")])


def test_ready_limit_leaves_the_rest_pending(tmp_path: Path) -> None:
    clock = Clock()
    settler = Settler(0.0, clock)
    for i in range(5):
        (tmp_path / f"{i}.jpg").write_bytes(b"1")
        settler.touch(str(tmp_path / f"{i}.jpg"))
    settler.take_ready()
    ready, _ = settler.take_ready(limit=2)
    assert len(ready) == 2 and len(settler) == 3


def test_events_become_plain_changes(tmp_path: Path) -> None:
    root = str(tmp_path)
    c = ChangeCollector(root, PathFilter(DEFAULT_EXTENSIONS, DEFAULT_EXCLUDE))
    c.dispatch(FileCreatedEvent(f"{root}/a.jpg"))
    c.dispatch(FileModifiedEvent(f"{root}/notes.txt"))  # not an image: ignored
    c.dispatch(FileCreatedEvent(f"{root}/.hidden/b.jpg"))  # excluded folder: ignored
    c.dispatch(FileMovedEvent(f"{root}/c.jpg", f"{root}/d.JPG"))
    c.dispatch(DirMovedEvent(f"{root}/x", f"{root}/y"))
    c.dispatch(DirCreatedEvent(f"{root}/new"))
    c.dispatch(DirCreatedEvent(f"{root}/new/.thumbnails"))  # a hidden folder: not scanned
    c.dispatch(FileMovedEvent(f"{root}/e.jpg", f"{root}/e.jpg.bak"))  # renamed away: e.jpg is gone
    c.dispatch(DirMovedEvent(f"{root}/old", f"{root}/.trash/old"))  # into a hidden folder: as deleted
    got = c.drain()
    assert got.files == {f"{root}/a.jpg", f"{root}/d.JPG", f"{root}/e.jpg"}
    assert got.moves == [(f"{root}/c.jpg", f"{root}/d.JPG"), (f"{root}/x", f"{root}/y")]
    assert got.folders == {f"{root}/y", f"{root}/new", f"{root}/old"}
    assert c.drain().files == set()  # drained


class WatchLimitObserver:
    """Stands in for an inotify observer on a machine whose watch limit is used up: raising
    ENOSPC for real would mean lowering fs.inotify.max_user_watches for the whole machine."""

    def schedule(self, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def stop(self) -> None:
        pass


def test_watch_limit_falls_back_to_polling_with_one_warning(tmp_path: Path, caplog) -> None:
    c = ChangeCollector(str(tmp_path), PathFilter(DEFAULT_EXTENSIONS, DEFAULT_EXCLUDE))
    observer, how = start_observer(tmp_path, c, polling=False, poll_seconds=0.2, make_native=WatchLimitObserver)
    try:
        assert how == "polling"
        warnings = [r for r in caplog.records if "inotify watch limit" in r.getMessage()]
        assert len(warnings) == 1 and str(tmp_path) in warnings[0].getMessage()
    finally:
        observer.stop()
        observer.join()


def no_inotify_instance_left() -> object:
    """Stands in for watchdog's Observer() on a machine whose inotify instances are used up
    (fs.inotify.max_user_instances; seen here when other programs held them all): watchdog
    raises EMFILE while opening its instance, before anything is scheduled."""
    raise OSError(errno.EMFILE, "inotify instance limit reached")


def test_instance_limit_also_falls_back_to_polling(tmp_path: Path, caplog) -> None:
    c = ChangeCollector(str(tmp_path), PathFilter(DEFAULT_EXTENSIONS, DEFAULT_EXCLUDE))
    observer, how = start_observer(tmp_path, c, polling=False, poll_seconds=0.2, make_native=no_inotify_instance_left)
    try:
        assert how == "polling"
        assert [r.getMessage() for r in caplog.records if "inotify instance limit" in r.getMessage()]
    finally:
        observer.stop()
        observer.join()


def test_a_watchdog_overflow_warning_flags_a_reconcile(tmp_path: Path) -> None:
    """watchdog 7 reports a kernel queue overflow only as a log warning; the spy must hear it.
    (Overflowing a real inotify queue would need tens of thousands of events in a burst.)"""
    import logging

    from photofind.daemon.events import OverflowSpy

    c = ChangeCollector(str(tmp_path), PathFilter(DEFAULT_EXTENSIONS, DEFAULT_EXCLUDE))
    spy = OverflowSpy([c])
    watchdog_log = logging.getLogger("watchdog")
    watchdog_log.addHandler(spy)
    try:
        logging.getLogger("watchdog.observers.inotify_c").warning("Inotify queue overflowed; filesystem events were lost")
        assert c.drain().overflowed is True
        logging.getLogger("watchdog.observers.inotify_c").warning("something else")
        assert c.drain().overflowed is False
    finally:
        watchdog_log.removeHandler(spy)


def test_roots_inside_other_roots_are_watched_through_them(tmp_path: Path) -> None:
    """One inotify instance per watched folder: a root below another costs none of its own,
    and a file written in it is still seen (real watchdog, real files)."""
    import time

    from photofind.daemon.follower import Follower, outermost
    from photofind.settings import WatchSettings

    a, ab, abc, ab2, c, hidden = (tmp_path / p for p in ("a", "a/b", "a/b/c", "ab", "c", "a/.archive/2019"))
    path_filter = PathFilter(DEFAULT_EXTENSIONS, DEFAULT_EXCLUDE)
    # "ab" is a sibling of "a", not inside it; a root in a hidden folder is one `a` would not see
    assert outermost([abc, c, ab, a, ab2, a, hidden], path_filter) == [a, hidden, ab2, c]
    for d in (abc, ab2, c):
        d.mkdir(parents=True)
    watch = WatchSettings(settle_seconds=0.1, rescan_minutes=0, polling=False, poll_seconds=2)
    follower = Follower(watch, path_filter)
    try:
        follower.add([abc, ab, a])
        follower.add([ab])  # added later to the running watch: still covered
        assert len(follower.observers) == 1
        (abc / "new.jpg").write_bytes(b"x")
        deadline = time.monotonic() + 10
        seen: set[str] = set()
        while str(abc / "new.jpg") not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
            seen |= {f for ch in follower.drain() for f in ch.files}
        assert str(abc / "new.jpg") in seen
    finally:
        follower.close()
