"""`photofind dupes`: groups of true duplicates, each with a suggested keeper. Deletes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import typer

from photofind.api.requests import DupesRequest
from photofind.cli import options
from photofind.cli.common import console, handles_errors, load_settings
from photofind.dupes import MAX_DISTANCE

if TYPE_CHECKING:
    from photofind.dupes.report import DupesReport


def render_dupes(report: "DupesReport") -> None:
    from rich.table import Table

    from photofind.cli.render import file_link

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


@handles_errors
def dupes(
    ctx: typer.Context,
    near: bool = typer.Option(True, "--near/--exact-only", help="Also find resized, re-encoded or cropped copies."),
    max_distance: int = typer.Option(MAX_DISTANCE, "--max-distance", help="Near: most pHash bits (of 64) that may differ."),
    loose: bool = typer.Option(False, "--loose", help="Near: the pHash test alone, without the tile-by-tile check: "
                               "groups visually similar photos, not only true copies."),
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """List duplicate photos: identical files, and the same photo resized, re-encoded or lightly
    cropped, verified tile by tile (--loose: visually similar)."""
    from photofind.cli.render import dumps
    from photofind.cli.route import answer, server_client

    settings = load_settings(ctx, **options.model_flags(model))
    request = DupesRequest(near=near, max_distance=max_distance, loose=loose, model=settings.model.name)
    report = answer(settings, request, client=server_client(settings))
    if as_json:
        print(dumps(report.to_json()))
    else:
        render_dupes(report)
