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
                               "a monochrome conversion) as their own groups, for review; --trash never moves them."),
    trash: bool = typer.Option(False, "--trash", help="Move every file but the keeper of each identical or "
                               "same-picture group to the desktop trash (asks first; undo: photofind restore)."),
    keep: Optional[str] = typer.Option(None, "--keep", help="Which file of a group to keep: largest, oldest, newest "
                                       "or shortest-path (default: most pixels, then oldest)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="With --trash: do not ask."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what --trash would move, and move nothing."),
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """List duplicate photos: identical files, and the same picture resized, re-encoded, rotated,
    lightly cropped or tone-edited, verified tile by tile in tone and colour (--edits: also edited
    versions; --loose: visually similar). Each group says its tier. --trash moves the extra copies
    to the desktop trash."""
    verbs.dupes(**locals())
