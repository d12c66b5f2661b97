"""`photofind like IMAGE` and `photofind search WORDS`: the Typer declarations. What they do
is photofind.cli.verbs.like, which the fast path (photofind.cli.lean) calls too."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.verbs import like as verbs

METRIC = typer.Option("cosine", "--metric", help="cosine or l2 (from the Chroma index), l1 or corr (exact scan).")
EXACT = typer.Option(False, "--exact", help="Score every stored vector instead of using the index.")
TOP = typer.Option(10, "-k", "--top", help="How many results.")


def like(
    ctx: typer.Context,
    image: Path = typer.Argument(..., help="Any image file, indexed or not."),
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
    as_json: bool = options.JSON,
) -> None:
    """Show the indexed photos most like IMAGE."""
    verbs.like(**locals())  # the parameters, as declared: one body for Typer and the fast path


def search(
    ctx: typer.Context,
    text: str = typer.Argument(..., help='What to look for, in words: "a dog on the beach".'),
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
    as_json: bool = options.JSON,
) -> None:
    """Find photos by description (CLIP's text tower)."""
    verbs.search(**locals())
