"""The `photofind` command. Each verb lives in its own module; this file only wires them."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from photofind import __version__
from photofind.cli import (dupes_cmd, eval_cmd, index_cmd, like_cmd, restore_cmd, service_cmd, status_cmd, watch_cmd,
                           web_cmd)
from photofind.cli.common import GlobalOptions, show_core_warnings

app = typer.Typer(
    name="photofind",
    help="Search your photo folders by example image.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"photofind {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config_file: Optional[Path] = typer.Option(
        None, "--config", help="Config file (default: ~/.config/photofind/config.toml; env PHOTOFIND_CONFIG)."
    ),
    data_dir: Optional[Path] = typer.Option(
        None, "--data-dir", help="Where the index lives (env PHOTOFIND_HOME)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    no_server: bool = typer.Option(
        False, "--no-server", help="Run in this process; never start or use a background server (server.autostart)."
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    ctx.obj = GlobalOptions(config_file, data_dir, debug, no_server)
    show_core_warnings()


app.command("index")(index_cmd.index)
app.command("reindex")(index_cmd.reindex)
app.command("like")(like_cmd.like)
app.command("search")(like_cmd.search)
app.command("status")(status_cmd.status)
app.command("dupes")(dupes_cmd.dupes)
app.command("restore")(restore_cmd.restore)
app.command("eval")(eval_cmd.eval_)
app.command("watch")(watch_cmd.watch)
app.command("web")(web_cmd.web)
app.command("serve")(watch_cmd.serve)
app.add_typer(service_cmd.app, name="service")

