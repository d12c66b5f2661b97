"""Turning core results into Rich tables, JSON, galleries and previews. No core logic here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

from rich.table import Table
from rich.text import Text

from photofind.cli.common import console, err_console
from photofind.results import QueryResult


def file_link(path: str) -> Text:
    return Text(path, style=f"link file://{quote(path)}")


def like_table(result: QueryResult) -> Table:
    arrow = "higher is closer" if result.higher_is_better else "lower is closer"
    title = f'Photos of "{result.query}"' if result.query_is_text else f"Most like {result.query}"
    how = "exact scan" if result.exact else "Chroma index"
    caption = f"model {result.model}, {result.metric} ({arrow}, {how})" + (
        "; query vector reused from the index" if result.query_was_indexed else ""
    )
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    table.add_column("#", justify="right")
    table.add_column(result.metric, justify="right")
    table.add_column("path", overflow="fold")
    table.add_column("size", justify="right")
    table.add_column("taken")
    for m in result.matches:
        size = f"{m.width}×{m.height}" if m.width and m.height else ""
        taken = (m.taken or "").replace("T", " ") + (" (file time)" if m.taken_from == "mtime" else "")
        table.add_row(str(m.rank), f"{m.score:.4f}", file_link(m.path), size, taken)
    return table


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def show_query(result: QueryResult, *, as_json: bool, html: Optional[Path] = None, preview: bool = False,
               grid: Optional[Path] = None, open_grid: bool = False) -> None:
    """A `like` or `search` answer, the same way whether it came from the daemon or this process."""
    if as_json:
        print(dumps(result.to_json()))
    else:
        console.print(like_table(result))
        if preview and result.matches:
            from photofind.cli.preview import show_previews

            show_previews(console, [m.path for m in result.matches],
                          [f"#{m.rank} {m.score:.3f}" for m in result.matches])
    if html is not None:
        from photofind.gallery import write_gallery

        write_gallery(result, html)
        err_console.print(f"gallery written to {html}", soft_wrap=True)
    if grid is not None:
        from photofind.grid import contact_sheet, like_tiles, open_in_viewer

        if result.query_is_text:
            from photofind.errors import InputError

            raise InputError("--grid shows a query image beside its results; use --html for text searches")
        contact_sheet(like_tiles(result.query, result.matches, result.metric), grid)
        err_console.print(f"grid written to {grid}", soft_wrap=True)
        if open_grid and not open_in_viewer(grid):
            err_console.print("no image viewer found (xdg-open); open the file yourself", soft_wrap=True)
