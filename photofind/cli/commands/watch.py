"""`photofind watch [PATH...]`: the server that owns the index, also following the folders."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from photofind.cli import options
from photofind.cli.console import handles_errors
from photofind.cli.servers import HOST, PORT

app = options.command_app()


@app.command()
@handles_errors
def watch(
    ctx: typer.Context,
    paths: Optional[List[Path]] = typer.Argument(None, help="Folders to add; default: the remembered ones."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    polling: Optional[bool] = typer.Option(None, "--polling/--inotify", help="Poll instead of inotify (network drives)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every move and watcher detail."),
    web: bool = typer.Option(False, "--web", help="Also serve the web page (photofind web) from this daemon."),
    host: str = HOST,
    port: Optional[int] = PORT,
) -> None:
    """Watch folders, index every change within seconds, and answer every command."""
    from photofind.cli.servers import log_to_stderr, take_over_from_serve
    from photofind.daemon.daemon import Daemon

    settings = options.load_settings(ctx, **options.model_flags(model, device),
                                     **{"watch.polling": polling, "web.port": port})
    roots = options.folders(paths)
    log_to_stderr(verbose)
    take_over_from_serve(settings)
    raise SystemExit(Daemon(settings, roots, web_host=host if web else None).run())
