"""Options shared by several verbs, declared once (Typer declarations only: what the verbs do
with them lives in typer-free modules, see photofind.cli.lean)."""

from __future__ import annotations

import typer


def model_names(incomplete: str) -> list[str]:
    """Shell completion of -m/--model: the model names, not the files bash would offer."""
    from photofind.embedders import MODELS

    return [name for name in MODELS if name.startswith(incomplete)]


def metric_names(incomplete: str) -> list[str]:
    """Shell completion of --metric."""
    from photofind.distances import METRICS

    return [name for name in METRICS if name.startswith(incomplete)]


MODEL = typer.Option(None, "--model", "-m", help="clip, effnet-lite0 (offline) or pixel. [env PHOTOFIND_MODEL]",
                     autocompletion=model_names)
DEVICE = typer.Option(None, "--device", help="auto, cpu or cuda.")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON instead of a table.")
SINCE = typer.Option(None, "--since", help="Taken on or after this date (YYYY-MM-DD[THH:MM]); EXIF date, else file time.")
UNTIL = typer.Option(None, "--until", help="Taken on or before this date (a bare date includes that whole day).")
WITHIN = typer.Option(None, "--in", help="Only photos in this folder (and below).")
MIN_SCORE = typer.Option(None, "--min-score", help="Only results at least this close, in the metric's units.")
HTML = typer.Option(None, "--html", help="Also write a self-contained HTML gallery of the results.")
PREVIEW = typer.Option(False, "--preview", help="Show thumbnails in the terminal (off when not a terminal).")
