"""The download bar of a query: `like` and `search` load a model only for a photo or words not
in the index, and download weights only when those left the cache. So nothing of Rich's
progress display is imported or drawn until the first download update arrives."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from photofind.results import DownloadProgress, Progress

OnProgress = Callable[["Progress | DownloadProgress"], None]


@contextmanager
def download_bar() -> Iterator[OnProgress]:
    with ExitStack() as stack:
        shown: list[OnProgress] = []

        def update(p: "Progress | DownloadProgress") -> None:
            if not shown:
                from photofind.cli.progress import progress_bar

                bar = stack.enter_context(progress_bar(True, label=None))
                assert bar is not None
                shown.append(bar)
            shown[0](p)

        yield update
