"""The indexing progress bar: the core reports plain Progress values (and DownloadProgress while
a model's weights download), Rich draws them."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress as RichProgress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from photofind.cli.console import err_console

if TYPE_CHECKING:  # the indexer pulls in numpy; the bar only needs the types
    from photofind.results import DownloadProgress, Progress

OnProgress = Callable[["Progress | DownloadProgress"], None]


class _Amount(ProgressColumn):
    """Files as `12/40`; a download as Rich draws one, `120.3/605.1 MB`."""

    bytes = DownloadColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("bytes"):
            return self.bytes.render(task)
        return Text(f"{int(task.completed)}/{int(task.total)}" if task.total is not None else "")


class _Speed(ProgressColumn):
    """Files/s, or a download's MB/s."""

    bytes = TransferSpeedColumn()

    def render(self, task: Task) -> Text:
        if task.fields.get("bytes"):
            return self.bytes.render(task) if task.speed else Text("")
        return Text(f"{task.speed:.1f} files/s" if task.speed else "", style="progress.data.speed")


@contextmanager
def progress_bar(enabled: bool, label: str | None = "indexing") -> Iterator[OnProgress | None]:
    """A Rich bar with files/s, ETA and the skipped count, and above it, while model weights
    download, one with size, speed and ETA (`label` None: downloads only). The core only sees a
    callback."""
    if not enabled:
        yield None
        return
    bar = RichProgress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        _Amount(),
        _Speed(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[extra]}"),
        console=err_console,
        transient=True,
    )
    files = bar.add_task(label, total=None, extra="skipped 0") if label is not None else None
    downloads: dict[str, TaskID] = {}

    def update(p: "Progress | DownloadProgress") -> None:
        from photofind.results import DownloadProgress

        if not isinstance(p, DownloadProgress):
            if files is not None:
                bar.update(files, completed=p.done, total=p.total, extra=f"skipped {p.skipped}")
            return
        if p.name not in downloads:
            downloads[p.name] = bar.add_task(f"downloading {p.name}", total=p.total, bytes=True, extra="")
        bar.update(downloads[p.name], completed=p.done, total=p.total)
        if p.total is not None and p.done >= p.total:
            bar.remove_task(downloads.pop(p.name))  # done: the files' bar goes on alone

    with bar:
        yield update
