"""`photofind index PATH...`: add folders to the index and index them incrementally."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors

app = options.command_app()


@app.command()
@handles_errors
def index(
    ctx: typer.Context,
    paths: List[Path] = typer.Argument(..., help="Photo folders to add and index."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Images per model call."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success."),
) -> None:
    """Add folders to the index and index them incrementally."""
    from photofind.api.requests import IndexRequest
    from photofind.cli.indexing import run_index

    settings = options.load_settings(ctx, **options.model_flags(model, device), **{"model.batch_size": batch_size})
    roots = options.folders(paths)
    request = IndexRequest(paths=tuple(map(str, roots)), model=options.requested_model(settings))
    run_index(options.client(ctx, settings, creates=True), request, quiet=quiet)
