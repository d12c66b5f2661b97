"""Showing a result, the same way for `like` and `search`, local or from the daemon."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from photofind.cli.common import console, err_console

if TYPE_CHECKING:
    from photofind.filters import Filters
    from photofind.results import QueryResult

SINCE = typer.Option(None, "--since", help="Taken on or after this date (YYYY-MM-DD[THH:MM]); EXIF date, else file time.")
UNTIL = typer.Option(None, "--until", help="Taken on or before this date (a bare date includes that whole day).")
WITHIN = typer.Option(None, "--in", help="Only photos in this folder (and below).")
MIN_SCORE = typer.Option(None, "--min-score", help="Only results at least this close, in the metric's units.")
HTML = typer.Option(None, "--html", help="Also write a self-contained HTML gallery of the results.")
PREVIEW = typer.Option(False, "--preview", help="Show thumbnails in the terminal (off when not a terminal).")


def filters_from(since: Optional[str], until: Optional[str], within: Optional[Path], min_score: Optional[float]) -> "Filters":
    from photofind.filters import Filters

    return Filters.build(since, until, str(within) if within else None, min_score)


def filter_args(f: "Filters") -> dict[str, object]:
    """Filters as the daemon's request arguments (it rebuilds them with Filters.build)."""
    return {
        "since": f.since.isoformat() if f.since else None,
        "until": f.until.isoformat() if f.until else None,
        "folder": f.folder,
        "min_score": f.min_score,
    }


def show(result: "QueryResult", *, as_json: bool, html: Optional[Path] = None, preview: bool = False,
         grid: Optional[Path] = None, open_grid: bool = False) -> None:
    from photofind.cli.render import dumps, like_table

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
