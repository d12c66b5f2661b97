"""`photofind status`: roots, counts, skipped files, store location and size, models."""

from __future__ import annotations

from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors

app = options.command_app()


@app.command()
@handles_errors
def status(
    ctx: typer.Context,
    model: Optional[str] = options.MODEL,
    as_json: bool = options.JSON,
) -> None:
    """Show what is indexed and where it lives."""
    from photofind.api.requests import StatusRequest
    from photofind.cli.console import console
    from photofind.cli.render import dumps, render_status

    settings = options.load_settings(ctx, **options.model_flags(model))
    answerer = options.client(ctx, settings, start=False)  # status stays light: it never starts a server
    report = answerer.answer(StatusRequest(model=options.requested_model(settings)))
    if report.model_from == "request":
        from dataclasses import replace

        report = replace(report, model_from=options.model_origin(settings))
    server = answerer.server
    if as_json:
        print(dumps({**report.to_json(), "daemon_pid": answerer.pid}))
    else:
        render_status(report)
        running = f"photofind {server.command} is running (pid {server.pid})" if server is not None else "not running"
        console.print(f"server     {running}")
