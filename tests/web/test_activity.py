"""The daemon's live progress, as the status page reads it: rate and ETA from a clock we drive."""

from __future__ import annotations

from photofind.daemon.activity import STALE, ActivityMeter
from photofind.results import Activity, Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_run_reads_done_of_total_rate_and_eta_then_idle() -> None:
    clock = Clock()
    meter = ActivityMeter(clock)
    assert meter.snapshot(pending=2) == Activity(pending=2)
    meter.update(Progress(1, 100, 0))
    clock.now += 4.0
    meter.update(Progress(41, 100, 3))
    a = meter.snapshot()
    assert (a.indexing, a.done, a.total, a.skipped) == (True, 41, 100, 3)
    assert a.rate == 41 / 4.0 and a.eta_seconds == 59 / (41 / 4.0)
    meter.update(Progress(100, 100, 3))
    assert not meter.snapshot().indexing
    clock.now += 1.0
    meter.update(Progress(1, 10, 0))  # the next run starts its own clock
    clock.now += 1.0
    assert meter.snapshot().rate == 1.0


def test_a_run_that_stopped_reporting_reads_idle() -> None:
    clock = Clock()
    meter = ActivityMeter(clock)
    meter.update(Progress(5, 100, 0))
    clock.now += STALE + 1
    assert not meter.snapshot().indexing
