"""`photofind status`: the Typer declaration; photofind.cli.verbs.status does the work."""

from __future__ import annotations

from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.verbs import status as verbs


def status(
    ctx: typer.Context,
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """Show what is indexed and where it lives."""
    verbs.status(**locals())
