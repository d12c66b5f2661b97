"""Turning core results into Rich tables, JSON, galleries and previews. No core logic here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import quote

from rich.table import Table
from rich.text import Text

from photofind.cli.common import console, err_console
from photofind.results import QueryResult, StatusReport

if TYPE_CHECKING:
    from photofind.dupes.report import DupesReport


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


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


MAX_ROOTS_SHOWN = 12


def render_status(s: StatusReport) -> None:
    console.print(f"store      {s.data_dir} ({_size(s.store_bytes)})", soft_wrap=True)
    console.print(f"model      {s.model}" + (f" (runtime {s.runtime})" if s.runtime else "")
                  + (f" (last indexed with {s.last_model})" if s.last_model and s.last_model != s.model else ""))
    console.print(f"last index {s.last_index or 'never'}")
    console.print(f"files      {s.files} indexed, {s.unique_images} unique images, {sum(s.skipped.values())} skipped")
    console.print("roots")
    shown = s.roots if len(s.roots) <= MAX_ROOTS_SHOWN else s.roots[: MAX_ROOTS_SHOWN - 2]
    for r in shown:
        console.print("  ", file_link(r))
    if len(shown) < len(s.roots):  # a thousand album folders indexed one by one would bury the rest
        console.print(f"   … {len(s.roots) - len(shown)} more (photofind status --json lists them all)")
    if s.skipped:
        table = Table(title="skipped files", title_justify="left")
        table.add_column("reason")
        table.add_column("files", justify="right")
        for reason, n in s.skipped.items():
            table.add_row(Text(reason), str(n))  # Text: brackets in a reason are not markup
        console.print(table)
        for path, reason in s.skipped_examples:
            console.print(f"  {path}: {reason}", soft_wrap=True, markup=False)
    if s.collections:
        table = Table(title="vector collections", title_justify="left")
        for col in ("model", "space", "vectors", "index (M/efC/efS)", "collection"):
            table.add_column(col, justify="right" if col == "vectors" else "left")
        for c in s.collections:
            index = "/".join(str(c.hnsw.get(k, "?")) for k in ("max_neighbors", "ef_construction", "ef_search"))
            table.add_row(c.model, c.space, str(c.vectors), index + (" (older)" if c.predates else ""), c.name)
        console.print(table)
        if any(c.predates for c in s.collections):
            console.print("(older): built with other index settings than photofind uses now; "
                          "photofind reindex --full rebuilds it", soft_wrap=True)


def render_dupes(report: "DupesReport") -> None:
    if not report.groups:
        console.print("no duplicates found")
        return
    for i, g in enumerate(report.groups, start=1):
        table = Table(title=f"group {i}: {len(g.members)} files, {g.why()}", title_justify="left")
        for col in ("keep", "path", "size", "resolution", "taken"):
            table.add_column(col, justify="right" if col in ("size", "resolution") else "left")
        for m in g.members:
            res = f"{m.width}×{m.height}" if m.width and m.height else ""
            table.add_row("✓" if m.path == g.keeper else "", file_link(m.path), f"{m.bytes / 1e6:.2f} MB", res,
                          (m.taken or "").replace("T", " "))
        console.print(table)
    exact = sum(g.kind == "exact" for g in report.groups)
    loose = any(g.how == "loose" for g in report.groups)
    near = "visually similar (--loose: not verified tile by tile)" if loose else "verified near-duplicate"
    console.print(f"{exact} exact and {len(report.groups) - exact} {near} groups; "
                  "photofind deletes nothing: remove the files you do not want yourself")
