"""`photofind index PATH...` and `photofind reindex [--full]`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from photofind.cli import options
from photofind.cli.common import console, err_console, handles_errors, load_settings
from photofind.cli.progress import progress_bar
from photofind.cli.route import daemon_client
from photofind.config import Settings
from photofind.errors import InputError
from photofind.results import IndexReport

SHOWN_SKIPS = 10


def run_index(settings: Settings, roots: list[Path], *, full: bool, quiet: bool, command: str) -> IndexReport:
    from photofind.embedders import create_embedder
    from photofind.indexer import Indexer
    from photofind.scanner import PathFilter
    from photofind.store.store import Store

    embedder = create_embedder(settings.model)
    with Store(settings.data_dir, command, url=settings.store_url) as store:
        store.catalog.add_roots(roots)
        all_roots = sorted(set(store.catalog.roots()) | set(settings.roots)) if command == "reindex" else roots
        if not all_roots:
            raise InputError("no folders are indexed yet; run: photofind index PATH")
        vectors = store.vectors(embedder.id, settings.space)
        with progress_bar(not quiet and err_console.is_terminal) as on_progress:
            indexer = Indexer(
                store.catalog,
                vectors,
                embedder,
                path_filter=PathFilter(settings.extensions, settings.exclude),
                batch_size=settings.model.batch_size,
                workers=settings.workers,
                max_pixels=settings.max_pixels,
                on_progress=on_progress,
            )
            report = indexer.index_roots(all_roots, full=full)
    for root in report.missing_roots:
        err_console.print(f"warning: {root} is not there (unmounted?); its entries are kept", soft_wrap=True)
    if not quiet:
        print_report(report, embedder.id)
    return report


def print_report(report: IndexReport, model: str) -> None:
    for path, reason in report.skipped[:SHOWN_SKIPS]:
        console.print(f"skipping {path}: {reason}", soft_wrap=True)
    if len(report.skipped) > SHOWN_SKIPS:
        console.print(f"... and {len(report.skipped) - SHOWN_SKIPS} more skipped (see photofind status)")
    rate = report.hashed / report.seconds if report.seconds > 0 else 0.0
    console.print(
        f"{report.scanned} files seen, {report.unchanged} unchanged; "
        f"{report.embedded} embedded with {model}, {report.reused} reused, "
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
    settings = load_settings(ctx, **options.model_flags(model, device), **{"model.batch_size": batch_size})
    roots = options.folders(paths)
    run_index(settings, roots, full=False, quiet=quiet, command="index")


@handles_errors
def reindex(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="Re-hash and re-embed everything (after a model change)."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing on success (for cron)."),
) -> None:
    """Rescan every remembered folder (and config roots) incrementally."""
    settings = load_settings(ctx, **options.model_flags(model, device))
    client = daemon_client(settings.data_dir)
    if client is None:
        run_index(settings, [], full=full, quiet=quiet, command="reindex")
        return
    # photofind watch owns the store: it runs the rescan, with its model already loaded.
    report = IndexReport.from_json(client.call("reindex", full=full, model=settings.model.name))
    for root in report.missing_roots:
        err_console.print(f"warning: {root} is not there (unmounted?); its entries are kept", soft_wrap=True)
    if not quiet:
        print_report(report, settings.model.name)
