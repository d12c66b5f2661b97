"""`photofind search WORDS`: photos by description (CLIP's text tower), optionally mixed with photos."""

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
def search(
    ctx: typer.Context,
    text: str = typer.Argument(..., help='What to look for, in words: "a dog on the beach".'),
    like: Optional[List[str]] = typer.Option(
        None, "--like", metavar="[N:]IMAGE", help="Also like this photo (N times the words' weight). Repeatable."),
    avoid: Optional[List[str]] = AVOID,
    k: int = TOP,
    metric: str = METRIC,
    exact: bool = EXACT,
    since: Optional[str] = options.SINCE,
    until: Optional[str] = options.UNTIL,
    within: Optional[Path] = options.WITHIN,
    min_score: Optional[float] = options.MIN_SCORE,
    html: Optional[Path] = options.HTML,
    preview: bool = options.PREVIEW,
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    paths_only: bool = PATHS,
    as_json: bool = options.JSON,
) -> None:
    """Find photos by description (CLIP's text tower), optionally mixed with photos.

    \b
    The words (weight 1), --like and --not images make one query vector, renormalised:
      q = (w1*v1 + w2*v2 + ...) / |w1*v1 + w2*v2 + ...|
    v: each part's unit vector (words and photos share CLIP's space); w: its weight,
    1, or N for N:IMAGE (--like 0.5:a.jpg), negative for --not.
    """
    from photofind.api.requests import SearchRequest
    from photofind.cli.render import show_query

    check_output(as_json, paths_only, preview)
    parts = tuple(examples(like or [], avoid))
    result = ask(ctx, model, device, lambda ranking, name: SearchRequest(
        text=text, examples=parts, ranking=ranking, model=name),
        k, metric, exact, since, until, within, min_score)
    show_query(result, as_json=as_json, html=html, preview=preview, paths_only=paths_only)
