"""`photofind like IMAGE...`: the photos most like an image, or like several at once."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors
from photofind.cli.querying import AVOID, EXACT, METRIC, PATHS, TOP, ask, check_output, examples

app = options.command_app()


@app.command()
@handles_errors
def like(
    ctx: typer.Context,
    images: List[str] = typer.Argument(..., help="Image files, indexed or not; [N:]IMAGE weighs one N times."),
    avoid: Optional[List[str]] = AVOID,
    k: int = TOP,
    metric: str = METRIC,
    exact: bool = EXACT,
    since: Optional[str] = options.SINCE,
    until: Optional[str] = options.UNTIL,
    within: Optional[Path] = options.WITHIN,
    min_score: Optional[float] = options.MIN_SCORE,
    grid: Optional[Path] = typer.Option(None, "--grid", help="Also write the query and results as a PNG contact sheet."),
    open_grid: bool = typer.Option(False, "--open", help="Show the --grid file in the system image viewer."),
    html: Optional[Path] = options.HTML,
    preview: bool = options.PREVIEW,
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    paths_only: bool = PATHS,
    as_json: bool = options.JSON,
) -> None:
    """Show the indexed photos most like an image, or like several images at once.

    \b
    Several images (and --not) make one query vector, their weighted sum renormalised:
      q = (w1*v1 + w2*v2 + ...) / |w1*v1 + w2*v2 + ...|
    v: each image's unit vector (the stored one if it is indexed); w: its weight, 1, or
    N for N:IMAGE (2:a.jpg, 0.5:b.jpg), negative for --not (--not 2:c.jpg: -2). Every
    metric scores the photos against q. A file named N:x.jpg is written ./N:x.jpg.
    """
    from photofind.api.requests import LikeRequest
    from photofind.cli.render import show_query

    check_output(as_json, paths_only, preview)
    first, *more = examples(images, avoid)
    result = ask(ctx, model, device, lambda ranking, name: LikeRequest(
        image=first.path, weight=first.weight, examples=tuple(more), ranking=ranking, model=name),
        k, metric, exact, since, until, within, min_score)
    show_query(result, as_json=as_json, html=html, preview=preview, grid=grid, open_grid=open_grid,
               paths_only=paths_only)
