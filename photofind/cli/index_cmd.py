"""`photofind index PATH...` and `photofind reindex [--full]`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from photofind.api.requests import IndexRequest
from photofind.cli import options
from photofind.cli.common import (console, err_console, folders, handles_errors, load_settings, model_flags,
                                  requested_model)
from photofind.cli.progress import progress_bar
from photofind.cli.route import answer, server_client
from photofind.settings import Settings
from photofind.errors import Cancelled
from photofind.daemon.protocol import DaemonClient
from photofind.results import IndexReport

SHOWN_SKIPS = 10


def run_index(settings: Settings, request: IndexRequest, *, quiet: bool, client: DaemonClient | None) -> None:
    """Run an index job in the server (or here), with the progress bar either way."""
    try:
        with progress_bar(not quiet and err_console.is_terminal) as on_progress:
            report: IndexReport = answer(settings, request, client=client, on_progress=on_progress)
    except KeyboardInterrupt:
        if client is None:
            raise
        # Leaving closes the socket: the server stops the job after the batch in flight.
        raise Cancelled(f"cancelled: {client.who} stops this job after the batch in flight and keeps "
                         "what it indexed; run the command again to finish") from None
    for root in report.missing_roots:
        err_console.print(f"warning: {root} is not there (unmounted?); its entries are kept", soft_wrap=True)
    if not quiet:
        print_report(report)


def print_report(report: IndexReport) -> None:
    for path, reason in report.skipped[:SHOWN_SKIPS]:
        console.print(f"skipping {path}: {reason}", soft_wrap=True, markup=False)  # photofind[raw]
    if len(report.skipped) > SHOWN_SKIPS:
        console.print(f"... and {len(report.skipped) - SHOWN_SKIPS} more skipped (see photofind status)")
    rate = report.hashed / report.seconds if report.seconds > 0 else 0.0
    console.print(
        f"{report.scanned} files seen, {report.unchanged} unchanged; "
        f"{report.embedded} embedded with {report.model}, {report.reused} reused, "
        f"{len(report.skipped)} skipped, {report.removed} removed "
        f"in {report.seconds:.1f} s ({rate:.1f} files/s)",
        soft_wrap=True,
    )


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
    settings = load_settings(ctx, **model_flags(model, device), **{"model.batch_size": batch_size})
    roots = folders(paths)
    run_index(settings, IndexRequest(paths=tuple(map(str, roots)), model=requested_model(settings)), quiet=quiet,
              client=server_client(settings, creates=True))


@handles_errors
def reindex(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="Re-hash and re-embed everything (after a model change)."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success (for cron)."),
) -> None:
    """Rescan every remembered folder (and config roots) incrementally."""
    settings = load_settings(ctx, **model_flags(model, device))
    run_index(settings, IndexRequest(full=full, model=requested_model(settings)), quiet=quiet,
              client=server_client(settings))
