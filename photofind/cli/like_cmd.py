"""`photofind like IMAGE` and `photofind search WORDS`: ranked photos, from the daemon when one
runs, else from the store directly.

Imports stay inside the functions: through the daemon, a query needs only the socket and
the table, and starts in a fraction of the time numpy, Chroma or torch would add."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

import typer

from photofind.cli import options
from photofind.cli.common import handles_errors, load_settings

if TYPE_CHECKING:
    from photofind.api.requests import RankedRequest
    from photofind.ranking import Ranking
    from photofind.results import QueryResult

METRIC = typer.Option("cosine", "--metric", help="cosine or l2 (from the Chroma index), l1 or corr (exact scan).")
EXACT = typer.Option(False, "--exact", help="Score every stored vector instead of using the index.")
TOP = typer.Option(10, "-k", "--top", help="How many results.")


def ask(
    ctx: typer.Context, model: Optional[str], device: Optional[str], make: Callable[["Ranking", str], "RankedRequest"],
    k: int, metric: str, exact: bool, since: Optional[str], until: Optional[str], within: Optional[Path],
    min_score: Optional[float],
) -> "QueryResult":
    """The ranking options become one Ranking; `make` wraps it in the verb's request, which the
    daemon or this process answers."""
    from photofind.cli.route import answer, server_client
    from photofind.ranking import Ranking

    settings = load_settings(ctx, **options.model_flags(model, device))
    ranking = Ranking(k, metric, exact, options.filters_from(since, until, within, min_score))
    return answer(settings, make(ranking, settings.model.name), client=server_client(settings))


@handles_errors
def like(
    ctx: typer.Context,
    image: Path = typer.Argument(..., help="Any image file, indexed or not."),
    k: int = TOP,
    metric: str = METRIC,
    exact: bool = EXACT,
    since: Optional[str] = options.SINCE,
    until: Optional[str] = options.UNTIL,
    within: Optional[Path] = options.WITHIN,
    min_score: Optional[float] = options.MIN_SCORE,
    grid: Optional[Path] = typer.Option(None, "--grid", help="Also write the query and results as a PNG contact sheet."),
    open_grid: bool = typer.Option(False, "--open", help="Show the --grid file in the system image viewer."),
    html: Optional[Path] = options.HTML,
    preview: bool = options.PREVIEW,
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    as_json: bool = options.JSON,
) -> None:
    """Show the indexed photos most like IMAGE."""
    from photofind.api.requests import LikeRequest
    from photofind.cli.render import show_query

    path = str(image.expanduser().resolve())  # the daemon has another working directory
    result = ask(ctx, model, device, lambda ranking, name: LikeRequest(image=path, ranking=ranking, model=name),
                 k, metric, exact, since, until, within, min_score)
    show_query(result, as_json=as_json, html=html, preview=preview, grid=grid, open_grid=open_grid)


@handles_errors
def search(
    ctx: typer.Context,
    text: str = typer.Argument(..., help='What to look for, in words: "a dog on the beach".'),
    k: int = TOP,
    metric: str = METRIC,
    exact: bool = EXACT,
    since: Optional[str] = options.SINCE,
    until: Optional[str] = options.UNTIL,
    within: Optional[Path] = options.WITHIN,
    min_score: Optional[float] = options.MIN_SCORE,
    html: Optional[Path] = options.HTML,
    preview: bool = options.PREVIEW,
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    as_json: bool = options.JSON,
) -> None:
    """Find photos by description (CLIP's text tower)."""
    from photofind.api.requests import SearchRequest
    from photofind.cli.render import show_query

    result = ask(ctx, model, device, lambda ranking, name: SearchRequest(text=text, ranking=ranking, model=name),
                 k, metric, exact, since, until, within, min_score)
    show_query(result, as_json=as_json, html=html, preview=preview)
