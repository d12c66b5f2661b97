"""The indexing progress bar: the core reports plain Progress values, Rich draws them."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress as RichProgress,
    SpinnerColumn,
    TextColumn,
    TimeRemainingColumn,
)

from photofind.cli.common import err_console

if TYPE_CHECKING:  # the indexer pulls in numpy; the bar only needs the type
    from photofind.results import Progress


@contextmanager
def progress_bar(enabled: bool, label: str = "indexing") -> Iterator[Callable[[Progress], None] | None]:
    """A Rich bar with files/s, ETA and the skipped count; the core only sees a callback."""
    if not enabled:
        yield None
        return
    bar = RichProgress(
        SpinnerColumn(),
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[progress.data.speed]{task.fields[rate]}"),
        TimeRemainingColumn(),
        TextColumn("skipped {task.fields[skipped]}"),
        console=err_console,
        transient=True,
    )
    task = bar.add_task("indexing", total=None, rate="", skipped=0)

    def update(p: Progress) -> None:
        speed = bar.tasks[0].speed
        bar.update(task, completed=p.done, total=p.total, skipped=p.skipped,
                   rate=f"{speed:.1f} files/s" if speed else "")

    with bar:
        yield update


