"""Turning core results into Rich tables, JSON, galleries and previews. No core logic here."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from photofind.cli.console import console, err_console
from photofind.cli.paths import PathCell, path_cells, path_header, tilde
from photofind.results import QueryResult, StatusReport

if TYPE_CHECKING:
    from photofind.dupes.report import DupesReport


FILE_TIME = "*"  # marks a date that is the file's time: the photo has no EXIF date
FILE_TIME_NOTE = f"{FILE_TIME} file time (no EXIF date)"


def taken_cell(taken: str | None, from_file: bool) -> str:
    """'2023-07-01 10:22' from '2023-07-01T10:22:03': minutes are enough to tell photos apart in
    a table, and the column stays narrow enough to leave the path its room."""
    return (taken or "").replace("T", " ")[:16] + (FILE_TIME if taken and from_file else "")


def _path_line(label: str, path: str, after: str | Text = "", wrap_after: bool = False, style: str = "") -> Table:
    """`label`, then `path` (under `~`, linked to its full path) elided to the width left, then `after`."""
    line = Table.grid()
    line.add_column(no_wrap=True, style=style)
    line.add_column(style=style)
    line.add_column(no_wrap=not wrap_after)
    line.add_row(label, PathCell(tilde(path), path), after)
    return line


def like_table(result: QueryResult) -> RenderableType:
    """The title (the query, its path on one line like the rows'), then the ranked table."""
    arrow = "higher is closer" if result.higher_is_better else "lower is closer"
    title: RenderableType
    if result.combined:
        title = Text(f"{'Photos of' if result.query_is_text else 'Most like'} {result.description()}",
                     style="table.title")
    elif result.query_is_text:
        title = Text(f'Photos of "{result.query}"', style="table.title")
    else:
        title = _path_line("Most like ", result.query, style="table.title")
    how = "exact scan" if result.exact else "Chroma index"
    caption = f"model {result.model}, {result.metric} ({arrow}, {how})" + (
        f"; query {'vectors' if result.combined else 'vector'} reused from the index"
        if result.query_was_indexed else ""
    )
    if any(m.taken and m.taken_from == "mtime" for m in result.matches):
        caption += f"; {FILE_TIME_NOTE}"
    base, paths = path_cells([m.path for m in result.matches], result.roots)
    table = Table(caption=caption, caption_justify="left")
    # Only the path gives way when the terminal is narrow, and it is elided, never wrapped.
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column(result.metric, justify="right", no_wrap=True)
    table.add_column(path_header(base))
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("taken", no_wrap=True)
    for m, path in zip(result.matches, paths):
        size = f"{m.width}×{m.height}" if m.width and m.height else ""
        table.add_row(str(m.rank), f"{m.score:.4f}", path, size, taken_cell(m.taken, m.taken_from == "mtime"))
    return Group(title, table)


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def print_paths(result: QueryResult) -> None:
    """--paths: the full paths, one a line, best first, as bytes (any file name, no markup)."""
    out = sys.stdout.buffer
    for m in result.matches:
        out.write(os.fsencode(m.path) + b"\n")
    out.flush()


def no_match_line(result: QueryResult) -> str:
    """`no photo matches a.jpg: 0 of 1,240 photos taken since 2027-01-01`: an empty answer says so."""
    return f"no photo matches {result.description() or result.query}: {result.empty_reason or 'nothing indexed'}"


def show_query(result: QueryResult, *, as_json: bool, html: Optional[Path] = None, preview: bool = False,
               grid: Optional[Path] = None, open_grid: bool = False, paths_only: bool = False) -> None:
    """A `like` or `search` answer, the same way whether it came from the daemon or this process."""
    if paths_only:
        print_paths(result)
        if not result.matches:  # stdout stays empty for the pipe: the reason goes to the terminal
            err_console.print(no_match_line(result), soft_wrap=True, markup=False)
    elif as_json:
        print(dumps(result.to_json()))
    elif not result.matches:
        console.print(no_match_line(result), soft_wrap=True, markup=False)
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
        images = [(p.value, p.role()) for p in result.parts if p.kind == "image"]
        contact_sheet(like_tiles(result.query, result.matches, result.metric, images), grid, queries=len(images) or 1)
        err_console.print(f"grid written to {grid}", soft_wrap=True)
        if open_grid and not open_in_viewer(grid):
            err_console.print(f"--open: no image viewer on this machine (no display, or no xdg-open); open {grid} "
                              "yourself", soft_wrap=True, markup=False)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


MAX_ROOTS_SHOWN = 12  # up to 12 roots are listed; past that 10 and a count (--json has them all)


# Why status names its model (StatusReport.model_from); anything else is where it was set.
MODEL_FROM = {
    "library": "the library's model (it was indexed with it; no --model, PHOTOFIND_MODEL or config names one)",
    "default": "the default model (nothing is indexed yet)",
    "--model": "from --model",
}


def render_status(s: StatusReport) -> None:
    console.print(_path_line("store      ", s.data_dir, f" ({_size(s.store_bytes)})"))
    if s.readable_by_others:
        examples = ", ".join(s.readable_by_others[:3])
        more = len(s.readable_by_others) - 3
        line = Text("warning", style="bold yellow")
        line.append(f"    other users can read this store: {examples}" + (f" and {more} more" if more > 0 else "")
                    + f"; run: chmod -R go= {shlex.quote(s.data_dir)}")
        console.print(line, soft_wrap=True)
    console.print(f"model      {s.model}" + (f" (runtime {s.runtime})" if s.runtime else "")
                  + f"; {MODEL_FROM.get(s.model_from, f'from {s.model_from}')}"
                  + (f" (last indexed with {s.last_model})" if s.last_model and s.last_model != s.model else ""),
                  soft_wrap=True)
    console.print(f"last index {s.last_index or 'never'}")
    console.print(f"files      {s.files} indexed, {s.unique_images} unique images, {sum(s.skipped.values())} skipped")
    console.print("roots")
    shown = s.roots if len(s.roots) <= MAX_ROOTS_SHOWN else s.roots[: MAX_ROOTS_SHOWN - 2]
    for r in shown:
        console.print(_path_line("  ", r))
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
            console.print(_path_line("  ", path, Text(f": {reason}"), wrap_after=True))  # not markup
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
        base, paths = path_cells([m.path for m in g.members], report.roots)
        label = {"identical": "IDENTICAL", "same": "SAME PICTURE", "edited": "EDITED VERSIONS", "loose": "SIMILAR"}
        table = Table(title=f"group {i} [{label.get(g.tier, g.tier)}]: {len(g.members)} files, {g.why()}",
                      title_justify="left")
        for col in ("keep", "path", "size", "resolution", "taken"):
            header = path_header(base) if col == "path" else col
            table.add_column(header, justify="right" if col in ("size", "resolution") else "left", no_wrap=col != "path")
        for m, path in zip(g.members, paths):
            res = f"{m.width}×{m.height}" if m.width and m.height else ""
            table.add_row("✓" if m.path == g.keeper else "", path, f"{m.bytes / 1e6:.2f} MB", res,
                          taken_cell(m.taken, False))
        console.print(table)
    counts = {t: sum(g.tier == t for g in report.groups) for t in ("identical", "same", "edited", "loose")}
    words = {"identical": "identical-bytes", "same": "same-picture", "edited": "edited-version (for review)",
             "loose": "visually similar (--loose: not verified tile by tile)"}
    parts = [f"{n} {words[t]}" for t, n in counts.items() if n or t in ("identical", "same")]
    console.print(", ".join(parts) + " groups; "
                  "`dupes --trash` moves all but the keeper of each identical or same-picture group to the "
                  "trash (`photofind restore` puts them back)")
