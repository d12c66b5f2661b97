"""`photofind serve [--stop]`: the server that owns the index, started on demand, idle exit."""

from __future__ import annotations

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors

app = options.command_app()


@app.command()
@handles_errors
def serve(
    ctx: typer.Context,
    stop: bool = typer.Option(False, "--stop", help="Stop the running server (watch or serve) instead."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more: one line per request."),
) -> None:
    """Own the index and answer every command until idle (server.idle_minutes). The CLI starts
    it in the background when needed; run it by hand only to watch its log."""
    from photofind.cli.console import console
    from photofind.cli.servers import log_to_stderr, stop_server

    settings = options.load_settings(ctx)
    if stop:
        pid = stop_server(settings, only_serve=False)
        console.print(f"stopped the photofind server (pid {pid})" if pid else "no photofind server runs")
        return
    log_to_stderr(verbose)
    from photofind.daemon.daemon import Daemon

    raise SystemExit(Daemon(settings, [], watch=False, idle_minutes=settings.server.idle_minutes).run())
