"""What `like` and `search` share: their ranking and output options (declared once), the
example images as typed, and asking whoever answers (photofind.api.client).

Imports stay inside the functions: through a server, a query needs only the socket and the
table, and starts in a fraction of the time numpy, Chroma or torch would add."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer

from photofind.cli.options import filters_from, load_settings, metric_names, model_flags, requested_model

if TYPE_CHECKING:
    from photofind.api.requests import RankedRequest
    from photofind.errors import InputError
    from photofind.query.ranking import Ranking
    from photofind.query.weighted import WeightedImage
    from photofind.results import QueryResult

METRIC = typer.Option("cosine", "--metric", help="cosine or l2 (from the Chroma index), l1 or corr (exact scan).",
                      autocompletion=metric_names)
EXACT = typer.Option(False, "--exact", help="Score every stored vector instead of using the index.")
TOP = typer.Option(10, "-k", "--top", help="How many results.")
AVOID = typer.Option(None, "--not", metavar="[N:]IMAGE",
                     help="Steer away from this photo: its vector is subtracted (N times). Repeatable.")
PATHS = typer.Option(False, "--paths", "-f",
                     help="Print only the matching paths, one a line, for pipes (not with --json or --preview).")


def ask(
    ctx: typer.Context, model: Optional[str], device: Optional[str], make: Callable[["Ranking", str], "RankedRequest"],
    k: int, metric: str, exact: bool, since: Optional[str], until: Optional[str], within: Optional[Path],
    min_score: Optional[float],
) -> "QueryResult":
    """The ranking options become one Ranking, checked as it is built (a bad -k or metric fails
    here, before any server is started); `make` wraps it in the command's request, which the
    server or this process answers."""
    from photofind.cli.console import err_console
    from photofind.cli.options import client
    from photofind.errors import InputError
    from photofind.query.ranking import Ranking

    settings = load_settings(ctx, **model_flags(model, device))
    ranking = Ranking(k, metric, exact, filters_from(since, until, within, min_score))
    request = make(ranking, requested_model(settings))
    answerer = client(ctx, settings)
    try:
        if not err_console.is_terminal:
            return answerer.answer(request)
        from photofind.cli.downloads import download_bar

        with download_bar() as on_progress:  # drawn only if the model's weights download
            return answerer.answer(request, on_progress)
    except InputError as exc:
        raise as_typed(exc) from None


def as_typed(exc: "InputError") -> "InputError":
    """An error about a query file names it as typed: `README.md: not a readable image`, not the
    absolute path the request carried (the server has another working directory)."""
    import os

    message, here = str(exc), os.getcwd().rstrip(os.sep) + os.sep
    if message.startswith(here):
        exc.args = (message[len(here):],)
    return exc


def examples(images: list[str], avoid: Optional[list[str]]) -> list["WeightedImage"]:
    """The example images, absolute and weighed: `N:IMAGE` weighs one, --not subtracts."""
    from photofind.cli.weighted import parse_weighted

    return [parse_weighted(a) for a in images] + [parse_weighted(a, -1) for a in avoid or []]


def check_output(as_json: bool, paths_only: bool, preview: bool) -> None:
    from photofind.errors import InputError

    if paths_only and (as_json or preview):
        raise InputError(f"--paths prints bare paths; it does not go with {'--json' if as_json else '--preview'}")
