"""`photofind restore`: the Typer declaration; photofind.cli.verbs.restore does the work."""

from __future__ import annotations

from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.verbs import restore as verbs


def restore(
    ctx: typer.Context,
    operation: Optional[str] = typer.Argument(None, help="The operation to undo (see --list); default: the last one."),
    list_: bool = typer.Option(False, "--list", help="List the trash operations in the journal."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
    model: Optional[str] = options.MODEL,
) -> None:
    """Put the files that `dupes --trash` moved back where they were, byte for byte, and index
    them again. Nothing that stands at a path now is overwritten."""
    verbs.restore(ctx, operation, list_, yes, model)
