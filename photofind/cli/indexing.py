"""What `index` and `reindex` share: an index job run by whoever answers (photofind.api.client),
with its progress bar, Ctrl-C, and the report at the end."""

from __future__ import annotations

from typing import TYPE_CHECKING

from photofind.cli.console import console, err_console
from photofind.cli.progress import progress_bar
from photofind.errors import Cancelled

if TYPE_CHECKING:
    from photofind.api.client import Client
    from photofind.api.requests import IndexRequest
    from photofind.results import IndexReport

SHOWN_SKIPS = 10


def run_index(client: "Client", request: "IndexRequest", *, quiet: bool) -> None:
    """Run an index job in the server (or here), with the progress bar either way."""
    try:
        with progress_bar(not quiet and err_console.is_terminal) as on_progress:
            report: IndexReport = client.answer(request, on_progress)
    except KeyboardInterrupt:
        if client.server is None:
            raise
        # Leaving closes the socket: the server stops the job after the batch in flight.
        raise Cancelled(f"cancelled: {client.who} stops this job after the batch in flight and keeps "
                        "what it indexed; run the command again to finish") from None
    for root in report.missing_roots:
        err_console.print(f"warning: {root} is not there (unmounted?); its entries are kept", soft_wrap=True)
    if not quiet:
        print_report(report)


def print_report(report: "IndexReport") -> None:
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
