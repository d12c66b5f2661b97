"""The terminal side of every command: the consoles, errors turned into one line and an exit
code, closed pipes, and the core's warnings shown as `warning:` lines."""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import traceback
from typing import Any, Callable, TypeVar

from rich.console import Console

from photofind.errors import PhotofindError

PIPE_CLOSED = 128 + signal.SIGPIPE  # what shells report for a program stopped by SIGPIPE


def pipe_closed() -> SystemExit:
    """`photofind ... | head`: the reader has what it wanted. End quietly, and never write to
    the pipe again (not even Python's flush at exit)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return SystemExit(PIPE_CLOSED)


class _Console(Console):
    def on_broken_pipe(self) -> None:  # Rich's own handling exits 1; keep one status for both paths
        raise pipe_closed()


console = _Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> SystemExit:
    """The one line a user sees for an error. SystemExit, not typer.Exit: Typer lets it through
    with its code, and code that never imports Typer can raise it too."""
    from rich.markup import escape  # a path or reason may hold brackets: photofind[raw]

    err_console.print(f"[bold red]photofind:[/] {escape(message)}", markup=True, soft_wrap=True)
    return SystemExit(code)


def handles_errors(fn: F) -> F:
    """Core errors become one line on stderr and exit 2; a traceback only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # Typer may hand over its base click Context class, so match by behaviour, not type.
        ctx = next((a for a in (*args, *kwargs.values()) if hasattr(a, "find_root")), None)
        debug = bool(ctx and getattr(ctx.find_root().obj, "debug", False))
        try:
            result = fn(*args, **kwargs)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return result
        except SystemExit:
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


class _WarningLine(logging.Handler):
    """The core reports a model falling back to torch, or a data dir it made private, through
    logging: one `warning:` line on the stderr of the moment (CliRunner swaps it), whatever else
    configures the root logger."""

    def emit(self, record: logging.LogRecord) -> None:
        sys.stderr.write(f"warning: {record.getMessage()}\n")


def show_core_warnings() -> None:
    if logging.getLogger().handlers:
        return  # someone (pytest, an embedding program) already shows log records
    for name in ("photofind.embedders", "photofind.store"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, _WarningLine) for h in logger.handlers):
            logger.addHandler(_WarningLine(logging.WARNING))
            logger.propagate = False  # open_clip's logging.warning() would add a root handler: not twice
