"""Options shared by several verbs, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import typer

MODEL = typer.Option(None, "--model", "-m", help="clip, effnet-lite0 (offline) or pixel. [env PHOTOFIND_MODEL]")
DEVICE = typer.Option(None, "--device", help="auto, cpu or cuda.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


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
