"""`photofind status`: roots, counts, skipped files, store location and size, models."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

import typer
from rich.table import Table

from photofind.cli import options
from photofind.cli.common import console, handles_errors, load_settings
from photofind.cli.render import dumps, file_link
from photofind.cli.route import answer, daemon_client
from photofind.results import StatusReport


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def render_status(s: StatusReport) -> None:
    console.print(f"store      {s.data_dir} ({_size(s.store_bytes)})", soft_wrap=True)
    console.print(f"model      {s.model}" + (f" (runtime {s.runtime})" if s.runtime else "")
                  + (f" (last indexed with {s.last_model})" if s.last_model and s.last_model != s.model else ""))
    console.print(f"last index {s.last_index or 'never'}")
    console.print(f"files      {s.files} indexed, {s.unique_images} unique images, {sum(s.skipped.values())} skipped")
    console.print("roots")
    for r in s.roots:
        console.print("  ", file_link(r))
    if s.skipped:
        table = Table(title="skipped files", title_justify="left")
        table.add_column("reason")
        table.add_column("files", justify="right")
        for reason, n in s.skipped.items():
            table.add_row(reason, str(n))
        console.print(table)
        for path, reason in s.skipped_examples:
            console.print(f"  {path}: {reason}", soft_wrap=True)
    if s.collections:
        table = Table(title="vector collections", title_justify="left")
        for col in ("model", "space", "vectors", "collection"):
            table.add_column(col, justify="right" if col == "vectors" else "left")
        for c in s.collections:
            table.add_row(c.model, c.space, str(c.vectors), c.name)
        console.print(table)


@handles_errors
def status(
    ctx: typer.Context,
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """Show what is indexed and where it lives."""
    settings = load_settings(ctx, **options.model_flags(model))

    def local(store: Any, embedder: Any) -> StatusReport:
        from photofind.status import collect_status

        return collect_status(store.catalog, store.client, store.data_dir, embedder.id, runtime)

    # The pixel model has no runtime; the daemon runs with the same settings, so they name it.
    runtime = settings.model.runtime if settings.model.name != "pixel" else None
    report = replace(answer(settings, "status", {}, local, StatusReport.from_json), runtime=runtime)
    client = daemon_client(settings.data_dir)
    daemon = client.pid if client is not None else None
    if as_json:
        print(dumps({**report.to_json(), "daemon_pid": daemon}))
    else:
        render_status(report)
        console.print(f"daemon     {f'photofind watch is running (pid {daemon})' if daemon else 'not running'}")
