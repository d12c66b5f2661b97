"""The `photofind` command: the root options, and the table of commands.

Each command is one module in photofind/cli/commands/ holding its Typer declaration and its
body. The root group loads a command's module only when that command runs (click's lazy-loading
group pattern), so `photofind like` through a warm server imports `like` alone, not `web`,
`eval` or `watch` with what they pull in. Adding a command: its module, and one line in COMMANDS.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
import typer.main
from typer.core import TyperGroup

from photofind import __version__

# name -> module under photofind.cli.commands, in the order `photofind --help` lists them
COMMANDS = {
    "index": "index",
    "reindex": "reindex",
    "like": "like",
    "search": "search",
    "dupes": "dupes",
    "restore": "restore",
    "status": "status",
    "models": "models",
    "watch": "watch",
    "web": "web",
    "serve": "serve",
    "eval": "eval",
    "service": "service",
}


class LazyGroup(TyperGroup):
    """Commands built from their module on first use (click's documented lazy group)."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        from photofind.cli.plain_values import install

        install(self, ctx)  # the root options too
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, name: str) -> Any:
        if name not in COMMANDS:
            return None
        # __import__, not importlib.import_module: the same import, and -X importtime shows it
        module = __import__(f"photofind.cli.commands.{COMMANDS[name]}", fromlist=["app"])
        command = typer.main.get_command(module.app)
        command.name = name
        from photofind.cli.plain_values import install

        install(command, ctx)  # plain values without importing pydantic (see that module)
        return command


app = typer.Typer(
    name="photofind",
    cls=LazyGroup,
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
        False, "--no-server", help="Run in this process; never start or use a background server."
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    from photofind.cli.console import show_core_warnings
    from photofind.cli.options import GlobalOptions

    ctx.obj = GlobalOptions(config_file, data_dir, debug, no_server)
    show_core_warnings()


def main(*args: Any, **kwargs: Any) -> Any:
    """The entry point (`photofind`, `python -m photofind`)."""
    return app(*args, **kwargs)
