"""Options shared by several verbs, declared once."""

from __future__ import annotations

from typing import Optional

import typer

MODEL = typer.Option(None, "--model", "-m", help="clip, effnet-lite0 (offline) or pixel. [env PHOTOFIND_MODEL]")
DEVICE = typer.Option(None, "--device", help="auto, cpu or cuda.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")


def model_flags(model: Optional[str], device: Optional[str] = None) -> dict[str, Optional[str]]:
    return {"model.name": model, "model.device": device}
