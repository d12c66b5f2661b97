"""`photofind dupes`: the Typer declaration; photofind.cli.verbs.dupes does the work."""

from __future__ import annotations

from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.verbs import dupes as verbs
from photofind.dupes import MAX_DISTANCE


def dupes(
    ctx: typer.Context,
    near: bool = typer.Option(True, "--near/--exact-only", help="Also find resized, re-encoded or cropped copies."),
    max_distance: int = typer.Option(MAX_DISTANCE, "--max-distance", help="Near: most pHash bits (of 64) that may differ."),
    loose: bool = typer.Option(False, "--loose", help="Near: the pHash test alone, without the tile-by-tile check: "
                               "groups visually similar photos, not only true copies."),
    edits: bool = typer.Option(False, "--edits", help="Also list edited versions (a caption, a sticker, a retouch, "
                               "a monochrome conversion) as their own groups, for review."),
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """List duplicate photos: identical files, and the same picture resized, re-encoded, rotated,
    lightly cropped or tone-edited, verified tile by tile in tone and colour (--edits: also edited
    versions; --loose: visually similar). Each group says its tier."""
    verbs.dupes(**locals())
