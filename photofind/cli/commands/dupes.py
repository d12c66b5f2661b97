"""`photofind dupes`: groups of true duplicates, each with a suggested keeper. Deletes nothing."""

from __future__ import annotations

from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors
from photofind.dupes import MAX_DISTANCE

app = options.command_app()


@app.command()
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
    from photofind.api.requests import DupesRequest
    from photofind.cli.render import dumps, render_dupes

    settings = options.load_settings(ctx, **options.model_flags(model))
    request = DupesRequest(near=near, max_distance=max_distance, loose=loose, model=settings.model.name)
    report = options.client(ctx, settings).answer(request)
    if as_json:
        print(dumps(report.to_json()))
    else:
        render_dupes(report)
