"""`photofind like IMAGE` and `photofind search WORDS`: the Typer declarations. What they do
is photofind.cli.verbs.like, which the fast path (photofind.cli.lean) calls too."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from photofind.cli import options
from photofind.cli.verbs import like as verbs

METRIC = typer.Option("cosine", "--metric", help="cosine or l2 (from the Chroma index), l1 or corr (exact scan).",
                      autocompletion=options.metric_names)
EXACT = typer.Option(False, "--exact", help="Score every stored vector instead of using the index.")
TOP = typer.Option(10, "-k", "--top", help="How many results.")
AVOID = typer.Option(None, "--not", metavar="[N:]IMAGE",
                     help="Steer away from this photo: its vector is subtracted (N times). Repeatable.")
PATHS = typer.Option(False, "--paths", "-f",
                     help="Print only the matching paths, one a line, for pipes (not with --json or --preview).")


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
    verbs.like(**locals())  # the parameters, as declared: one body for Typer and the fast path


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
    verbs.search(**locals())
