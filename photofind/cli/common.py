"""What every verb shares: settings from flags, consoles, and errors turned into exit codes."""

from __future__ import annotations

import functools
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console

from photofind import config
from photofind.errors import PhotofindError

PIPE_CLOSED = 128 + signal.SIGPIPE  # what shells report for a program stopped by SIGPIPE


def pipe_closed() -> typer.Exit:
    """`photofind ... | head`: the reader has what it wanted. End quietly, and never write to
    the pipe again (not even Python's flush at exit)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return typer.Exit(PIPE_CLOSED)


class _Console(Console):
    def on_broken_pipe(self) -> None:  # Rich's own handling exits 1; keep one status for both paths
        raise pipe_closed()


console = _Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class GlobalOptions:
    config_path: Path | None = None
    data_dir: Path | None = None
    debug: bool = False
    no_server: bool = False


def global_options(ctx: typer.Context) -> GlobalOptions:
    root = ctx.find_root()
    if not isinstance(root.obj, GlobalOptions):
        root.obj = GlobalOptions()
    return root.obj


def load_settings(ctx: typer.Context, **flags: Any) -> config.Settings:
    """Resolve settings once per command. `flags` maps config keys to option values (None = not given)."""
    opts = global_options(ctx)
    if opts.data_dir is not None:
        flags["store.data_dir"] = str(opts.data_dir)
    if opts.no_server:
        flags["server.autostart"] = False
    return config.load(flags=flags, config_path=opts.config_path)


def fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]photofind:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def handles_errors(fn: F) -> F:
    """Core errors become one line on stderr and exit 2; a traceback only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Typer may hand over its base click Context class, so match by behaviour, not type.
        ctx = next((a for a in (*args, *kwargs.values()) if hasattr(a, "find_root")), None)
        debug = bool(ctx and global_options(ctx).debug)
        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return result
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            raise pipe_closed() from None
        except PhotofindError as exc:
            if debug:
                traceback.print_exc()
            raise fail(str(exc), exc.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted; run the command again to finish (nothing indexed is lost)", 130) from None
        except Exception as exc:  # a bug: say so briefly, and how to see more
            if debug:
                traceback.print_exc()
                raise fail(f"internal error: {type(exc).__name__}: {exc}", 1) from None
            raise fail(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", 1) from None

    return wrapper  # type: ignore[return-value]

