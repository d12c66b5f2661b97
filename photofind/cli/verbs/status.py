"""`photofind status`: roots, counts, skipped files, store location and size, models."""

from __future__ import annotations

from typing import Optional

from photofind.cli.common import (HasRoot, console, handles_errors, load_settings, model_flags, model_origin,
                                  requested_model)


@handles_errors
def status(ctx: HasRoot, model: Optional[str], as_json: bool) -> None:
    from photofind.api.requests import StatusRequest
    from photofind.cli.render import dumps, render_status
    from photofind.cli.route import answer, server_client

    settings = load_settings(ctx, **model_flags(model))
    client = server_client(settings, start=False)  # status stays light: it never starts a server
    report = answer(settings, StatusRequest(model=requested_model(settings)), client=client)
    if report.model_from == "request":
        from dataclasses import replace

        report = replace(report, model_from=model_origin(settings))
    daemon = client.pid if client is not None else None
    if as_json:
        print(dumps({**report.to_json(), "daemon_pid": daemon}))
    else:
        render_status(report)
        running = f"photofind {client.command} is running (pid {daemon})" if client is not None else "not running"
        console.print(f"server     {running}")
