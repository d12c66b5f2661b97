"""Options shared by several verbs, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

import typer

if TYPE_CHECKING:
    from photofind.filters import Filters

MODEL = typer.Option(None, "--model", "-m", help="clip, effnet-lite0 (offline) or pixel. [env PHOTOFIND_MODEL]")
DEVICE = typer.Option(None, "--device", help="auto, cpu or cuda.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")
SINCE = typer.Option(None, "--since", help="Taken on or after this date (YYYY-MM-DD[THH:MM]); EXIF date, else file time.")
UNTIL = typer.Option(None, "--until", help="Taken on or before this date (a bare date includes that whole day).")
WITHIN = typer.Option(None, "--in", help="Only photos in this folder (and below).")
MIN_SCORE = typer.Option(None, "--min-score", help="Only results at least this close, in the metric's units.")
HTML = typer.Option(None, "--html", help="Also write a self-contained HTML gallery of the results.")
PREVIEW = typer.Option(False, "--preview", help="Show thumbnails in the terminal (off when not a terminal).")


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


def filters_from(since: Optional[str], until: Optional[str], within: Optional[Path], min_score: Optional[float]) -> "Filters":
    """The filter options, checked here, where the user typed them (a bad date or folder is one line)."""
    from photofind.filters import Filters

    return Filters.build(since, until, str(within) if within else None, min_score)
