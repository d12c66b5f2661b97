"""What every verb shares: settings from flags, consoles, and errors turned into exit codes."""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, Sequence, TypeVar

from rich.console import Console

from photofind.errors import PhotofindError

if TYPE_CHECKING:
    from photofind import config
    from photofind.filters import Filters

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


@dataclass
class GlobalOptions:
    config_path: Path | None = None
    data_dir: Path | None = None
    debug: bool = False
    no_server: bool = False


class HasRoot(Protocol):
    """Typer's click Context, or the fast path's RootContext: what a verb needs of its context."""

    def find_root(self) -> Any: ...


@dataclass
class RootContext:
    """The fast path's stand-in for click's root Context (photofind.cli.lean)."""

    obj: GlobalOptions

    def find_root(self) -> "RootContext":
        return self


def global_options(ctx: HasRoot) -> GlobalOptions:
    root = ctx.find_root()
    if not isinstance(root.obj, GlobalOptions):
        root.obj = GlobalOptions()
    return root.obj


def load_settings(ctx: HasRoot, **flags: Any) -> "config.Settings":
    """Resolve settings once per command. `flags` maps config keys to option values (None = not given)."""
    opts = global_options(ctx)
    if opts.data_dir is not None:
        flags["store.data_dir"] = str(opts.data_dir)
    if opts.no_server:
        flags["server.autostart"] = False
    from photofind import config

    return config.load(flags=flags, config_path=opts.config_path)


def fail(message: str, code: int = 2) -> SystemExit:
    """The one line a user sees for an error. SystemExit, not typer.Exit: Typer lets it through
    with its code, and the fast path (which never imports Typer) can raise it too."""
    from rich.markup import escape  # a path or reason may hold brackets: photofind[raw]

    err_console.print(f"[bold red]photofind:[/] {escape(message)}", markup=True, soft_wrap=True)
    return SystemExit(code)


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


def folders(paths: Sequence[Path] | None) -> list[Path]:
    """Folder arguments, absolute, or a one-line InputError for the first one that is not a folder."""
    from photofind.errors import InputError

    roots = []
    for p in paths or []:
        p = p.expanduser()
        if not p.is_dir():
            raise InputError(f"{p} {'is not a folder' if p.exists() else 'does not exist'}")
        roots.append(p.resolve())
    return roots


def model_flags(model: Optional[str], device: Optional[str] = None) -> dict[str, Optional[str]]:
    return {"model.name": model, "model.device": device}


def requested_model(settings: "config.Settings") -> Optional[str]:
    """The model a command asks for: the one a flag, PHOTOFIND_MODEL or the config names; None
    when none does, and the answerer uses the library's own (the one it was indexed with)."""
    return None if settings.sources.get("model.name", "default") == "default" else settings.model.name


def model_origin(settings: "config.Settings") -> str:
    """Where the model a command asks for was named, in the user's words."""
    origin = settings.sources.get("model.name", "default")
    return {"the command line": "--model"}.get(origin, origin)


def filters_from(since: Optional[str], until: Optional[str], within: Optional[Path], min_score: Optional[float]) -> "Filters":
    """The filter options, checked here, where the user typed them (a bad date or folder is one line)."""
    from photofind.filters import Filters

    return Filters.build(since, until, str(within) if within else None, min_score)
