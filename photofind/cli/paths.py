"""Paths as the tables show them: within their root folder or under `~`, on one line, elided in
the middle when the column is narrow, the file name kept. The link (OSC 8) and `--json` keep the
full absolute path; only what is shown shrinks."""

from __future__ import annotations

import os
from typing import Iterable, Sequence
from urllib.parse import quote

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.style import Style
from rich.text import Text

ELLIPSIS = "…"
MIN_WIDTH = 12  # a path column is not squeezed below this while other columns can give way


def home() -> str:
    return os.path.expanduser("~")


def _under(path: str, folder: str) -> bool:
    folder = folder.rstrip("/") or "/"
    return path == folder or path.startswith(folder if folder == "/" else folder + "/")


def tilde(path: str, home_dir: str | None = None) -> str:
    """`path` with the home folder written as `~`."""
    home_dir = home() if home_dir is None else home_dir
    if home_dir not in ("", "/") and _under(path, home_dir):
        return "~" + path[len(home_dir.rstrip("/")):]
    return path


def root_of(path: str, roots: Iterable[str]) -> str | None:
    """The innermost root folder holding `path`, if any."""
    inside = [r for r in roots if _under(path, r) and path != r.rstrip("/")]
    return max(inside, key=len) if inside else None


def shared_root(paths: Sequence[str], roots: Iterable[str]) -> str | None:
    """The one root every path is in, when there is one: the table then shows paths within it."""
    found = {root_of(p, roots) for p in paths}
    return found.pop() if len(found) == 1 and None not in found and paths else None


def shown(path: str, base: str | None, home_dir: str | None = None) -> str:
    """What a row shows of `path`: relative to `base` (its root) if given, else under `~`."""
    if base is not None and root_of(path, [base]):
        return path[len(base.rstrip("/")) + 1:]
    return tilde(path, home_dir)


def _prefix(text: str, cells: int) -> str:
    out = ""
    for ch in text:
        if cell_len(out + ch) > cells:
            break
        out += ch
    return out


def _suffix(text: str, cells: int) -> str:
    return _prefix(text[::-1], cells)[::-1]


KEEP_START = 10  # cells of the path's start kept before its parent folder is given up


def elide(text: str, width: int) -> str:
    """`text` in at most `width` cells: the middle replaced by `…`, keeping the file name (the
    part after the last `/`) whole when it fits, its folder too when that leaves room for the
    start, and as much of the start as then fits."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    cut = text.rfind("/")
    name = text[cut:] if cut > 0 else text
    if cell_len(name) + 1 > width:  # not even the name fits: keep its end (the extension)
        return ELLIPSIS + _suffix(name.lstrip("/"), width - 1)
    folder = text.rfind("/", 0, cut) if cut > 0 else -1
    tail = text[folder:] if folder > 0 and width - 1 - cell_len(text[folder:]) >= KEEP_START else name
    return _prefix(text, width - 1 - cell_len(tail)) + ELLIPSIS + tail


def link_style(path: str) -> Style:
    return Style(link=f"file://{quote(path)}")


class PathCell:
    """A table cell that shows `text` on one line, elided to the column's width; `target`: the
    full path its hyperlink opens (None: no link)."""

    def __init__(self, text: str, target: str | None = None, style: str | Style = "") -> None:
        self.text, self.target, self.style = text, target, style

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = cell_len(self.text)
        return Measurement(min(width, MIN_WIDTH), width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        style = Style.parse(self.style) if isinstance(self.style, str) else self.style
        if self.target is not None:
            style = style + link_style(self.target)
        yield Text(elide(self.text, options.max_width), style=style, no_wrap=True, overflow="crop", end="")


def path_cells(paths: Sequence[str], roots: Iterable[str]) -> tuple[str | None, list[PathCell]]:
    """The folder the rows are relative to (None: each is shown under `~` or in full) and a
    cell for each path, linked to the full path."""
    base = shared_root(paths, list(roots))
    return base, [PathCell(shown(p, base), p) for p in paths]


def path_header(base: str | None) -> PathCell | str:
    return PathCell(f"path in {tilde(base)}") if base else "path"
