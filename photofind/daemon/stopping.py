"""Stopping a long-running process (`watch`, `serve`, `web`) on SIGTERM or Ctrl-C, whatever its
threads are doing.

The first signal asks for a clean stop (the batch in flight is finished; the write order makes
any point safe). A worker stuck in a system call (a slow network share, a model download that
stalls) could hold that up for good, so the process also exits on its own GRACE seconds later,
and at once on a second signal. Exiting there is safe for the index: vectors are written before
the catalog rows that point at them, each batch in one SQLite transaction, and the kernel
releases the store lock with the process."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from typing import Callable

GRACE = 8.0  # seconds from the first signal to a forced exit: within the 10 s a service manager allows
FORCED_EXIT = 1


def _exit_now(log: logging.Logger, why: str) -> None:
    log.warning("%s; stopping now (what was written is kept; the next start reconciles)", why)
    for handler in logging.getLogger().handlers + log.handlers:
        try:
            handler.flush()
        except Exception:  # a closed stream: nothing more to say
            pass
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(FORCED_EXIT)


def install_stop_signals(stop: threading.Event, log: logging.Logger, grace: float = GRACE,
                         on_first: Callable[[str], None] | None = None) -> None:
    """SIGTERM and SIGINT set `stop`; the process exits within `grace` seconds of the first."""
    armed = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if armed.is_set():
            _exit_now(log, f"{name} again")
        armed.set()
        if on_first is not None:
            on_first(name)
        stop.set()

        def deadline() -> None:  # a daemon thread: a clean stop before it fires ends the process first
            time.sleep(grace)
            _exit_now(log, f"still busy {grace:g} s after {name}")

        threading.Thread(target=deadline, name="photofind-stop-deadline", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
