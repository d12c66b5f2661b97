"""`photofind reindex [--full]`: rescan every remembered folder."""

from __future__ import annotations

from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors

app = options.command_app()


@app.command()
@handles_errors
def reindex(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="Re-hash and re-embed everything (after a model change)."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success (for cron)."),
) -> None:
    """Rescan every remembered folder (and config roots) incrementally."""
    from photofind.api.requests import IndexRequest
    from photofind.cli.indexing import run_index

    settings = options.load_settings(ctx, **options.model_flags(model, device))
    run_index(options.client(ctx, settings), IndexRequest(full=full, model=options.requested_model(settings)), quiet=quiet)
