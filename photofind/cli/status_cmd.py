"""`photofind status`: roots, counts, skipped files, store location and size, models."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from photofind.api.requests import StatusRequest
from photofind.cli import options
from photofind.cli.common import console, handles_errors, load_settings
from photofind.cli.render import dumps, file_link
from photofind.cli.route import answer, server_client
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
        for col in ("model", "space", "vectors", "index (M/efC/efS)", "collection"):
            table.add_column(col, justify="right" if col == "vectors" else "left")
        for c in s.collections:
            index = "/".join(str(c.hnsw.get(k, "?")) for k in ("max_neighbors", "ef_construction", "ef_search"))
            table.add_row(c.model, c.space, str(c.vectors), index + (" (older)" if c.predates else ""), c.name)
        console.print(table)
        if any(c.predates for c in s.collections):
            console.print("(older): built with other index settings than photofind uses now; "
                          "photofind reindex --full rebuilds it", soft_wrap=True)


@handles_errors
def status(
    ctx: typer.Context,
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """Show what is indexed and where it lives."""
    settings = load_settings(ctx, **options.model_flags(model))
    client = server_client(settings, start=False)  # status stays light: it never starts a server
    report = answer(settings, StatusRequest(model=settings.model.name), client=client)
    daemon = client.pid if client is not None else None
    if as_json:
        print(dumps({**report.to_json(), "daemon_pid": daemon}))
    else:
        render_status(report)
        running = f"photofind {client.command} is running (pid {daemon})" if client is not None else "not running"
        console.print(f"server     {running}")
