"""What several commands share: their common options (declared once), the root options every
command reads from its context, settings resolved once per command, and who answers it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Sequence

import typer

if TYPE_CHECKING:
    from photofind.api.client import Client
    from photofind.query.filters import Filters
    from photofind.settings import Settings



def model_names(incomplete: str) -> list[str]:
    """Shell completion of -m/--model: the model names, not the files bash would offer."""
    from photofind.embedders import MODELS

    return [name for name in MODELS if name.startswith(incomplete)]


def metric_names(incomplete: str) -> list[str]:
    """Shell completion of --metric."""
    from photofind.query.ranking import METRICS

    return [name for name in METRICS if name.startswith(incomplete)]


MODEL = typer.Option(None, "--model", "-m", help="clip, clip-multilingual, effnet-lite0 (offline) or pixel (see: photofind models). [env PHOTOFIND_MODEL]",
                     autocompletion=model_names)
DEVICE = typer.Option(None, "--device", help="auto, cpu or cuda.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")
SINCE = typer.Option(None, "--since", help="Taken on or after this date (YYYY-MM-DD[THH:MM]); EXIF date, else file time.")
UNTIL = typer.Option(None, "--until", help="Taken on or before this date (a bare date includes that whole day).")
WITHIN = typer.Option(None, "--in", help="Only photos in this folder (and below).")
MIN_SCORE = typer.Option(None, "--min-score", help="Only results at least this close, in the metric's units.")
HTML = typer.Option(None, "--html", help="Also write a self-contained HTML gallery of the results.")
PREVIEW = typer.Option(False, "--preview", help="Show thumbnails in the terminal (off when not a terminal).")


def command_app(**settings: Any) -> typer.Typer:
    """The Typer app of one command module (photofind.cli.commands.*), made as the root is."""
    return typer.Typer(pretty_exceptions_enable=False, rich_markup_mode=None, add_completion=False, **settings)


@dataclass
class GlobalOptions:
    """The root options (before the command): set by photofind.cli.app's callback."""

    config_path: Path | None = None
    data_dir: Path | None = None
    debug: bool = False
    no_server: bool = False


def global_options(ctx: typer.Context) -> GlobalOptions:
    root = ctx.find_root()
    if not isinstance(root.obj, GlobalOptions):
        root.obj = GlobalOptions()
    return root.obj


def load_settings(ctx: typer.Context, **flags: Any) -> "Settings":
    """Resolve settings once per command. `flags` maps config keys to option values (None = not given)."""
    opts = global_options(ctx)
    if opts.data_dir is not None:
        flags["store.data_dir"] = str(opts.data_dir)
    if opts.no_server:
        flags["server.autostart"] = False
    from photofind import config

    return config.load(flags=flags, config_path=opts.config_path)


def client(ctx: typer.Context, settings: "Settings", *, start: bool = True, creates: bool = False) -> "Client":
    """Who answers this command (photofind.api.client): `--no-server` answers here, always."""
    from photofind.api.client import Client

    return Client.connect(settings, use_server=not global_options(ctx).no_server, start=start, creates=creates)


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


def requested_model(settings: "Settings") -> Optional[str]:
    """The model a command asks for: the one a flag, PHOTOFIND_MODEL or the config names; None
    when none does, and the answerer uses the library's own (the one it was indexed with)."""
    return None if settings.sources.get("model.name", "default") == "default" else settings.model.name


def model_origin(settings: "Settings") -> str:
    """Where the model a command asks for was named, in the user's words."""
    origin = settings.sources.get("model.name", "default")
    return {"the command line": "--model"}.get(origin, origin)


def filters_from(since: Optional[str], until: Optional[str], within: Optional[Path], min_score: Optional[float]) -> "Filters":
    """The filter options, checked here, where the user typed them (a bad date or folder is one line)."""
    from photofind.query.filters import Filters

    return Filters.build(since, until, str(within) if within else None, min_score)
