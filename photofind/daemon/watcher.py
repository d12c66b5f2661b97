"""Starting watchdog observers: inotify where it works, polling where it cannot."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any, Callable

from photofind.daemon.events import ChangeCollector

log = logging.getLogger("photofind.daemon")

# inotify runs out of watches (fs.inotify.max_user_watches) or instances on big trees.
_LIMIT_ERRNOS = {errno.ENOSPC, errno.EMFILE}


def _inotify_observer() -> Any:
    from watchdog.observers import Observer

    return Observer()


def _polling_observer(interval: float) -> Any:
    from watchdog.observers.polling import PollingObserver

    return PollingObserver(timeout=interval)


def start_observer(
    root: Path,
    collector: ChangeCollector,
    *,
    polling: bool,
    poll_seconds: float,
    make_native: Callable[[], Any] = _inotify_observer,
) -> tuple[Any, str]:
    """Watch `root` recursively; returns (observer, "inotify" | "polling")."""
    if not polling:
        observer = None
        try:
            observer = make_native()  # watchdog opens its inotify instance here: it can fail too
            observer.schedule(collector, str(root), recursive=True)
            observer.start()
            return observer, "inotify"
        except OSError as exc:
            if exc.errno not in _LIMIT_ERRNOS:
                raise
            try:
                if observer is not None:
                    observer.stop()
            except Exception:  # it never started; nothing to stop
                pass
            which = "instance" if observer is None else "watch"
            log.warning(
                "the inotify %s limit is reached for %s (raise fs.inotify.max_user_%ss); "
                "polling it every %.0f s instead",
                which, root, which, poll_seconds,
            )
    observer = _polling_observer(poll_seconds)
    observer.schedule(collector, str(root), recursive=True)
    observer.start()
    return observer, "polling"
