"""`photofind service install|uninstall`: run `photofind watch` as a systemd user service."""

from __future__ import annotations

import typer

from photofind import systemd_unit as service
from photofind.cli import options
from photofind.cli.console import console, err_console, handles_errors

app = options.command_app(help="Run photofind watch in the background as a systemd user service.", no_args_is_help=True)


@app.command()
@handles_errors
def install(ctx: typer.Context) -> None:
    """Write the user unit (this Python, your PHOTOFIND_* settings) and say how to start it."""
    result = service.install()
    console.print(f"{'updated' if result.replaced else 'wrote'} {result.path}", soft_wrap=True)
    console.print(f"start it now and at every login with:\n  {service.ENABLE_LINE}", soft_wrap=True)


@app.command()
@handles_errors
def uninstall(ctx: typer.Context) -> None:
    """Stop and disable the service, and remove its unit file."""
    path, note = service.uninstall()
    if path is None:
        console.print(f"no unit at {service.unit_path()}; nothing to do", soft_wrap=True)
        return
    if note:
        err_console.print(f"note: {note}; run: systemctl --user disable --now photofind", soft_wrap=True)
    console.print(f"removed {path}", soft_wrap=True)
