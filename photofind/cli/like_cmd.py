"""`photofind like IMAGE` and `photofind search WORDS`: ranked photos, from the daemon when one
runs, else from the store directly.

Imports stay inside the functions: through the daemon, a query needs only the socket and
the table, and starts in a fraction of the time numpy, Chroma or torch would add."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from photofind.cli import options
from photofind.cli.common import handles_errors, load_settings
from photofind.cli.output import HTML, MIN_SCORE, PREVIEW, SINCE, UNTIL, WITHIN, filters_from, show
from photofind.config import Settings

if TYPE_CHECKING:
    from photofind.embedders import Embedder
    from photofind.filters import Filters
    from photofind.results import QueryResult
    from photofind.store.store import Store

METRIC = typer.Option("cosine", "--metric", help="cosine or l2 (from the Chroma index), l1 or corr (exact scan).")
EXACT = typer.Option(False, "--exact", help="Score every stored vector instead of using the index.")
TOP = typer.Option(10, "-k", "--top", help="How many results.")


def find(settings: Settings, cmd: str, query: str, *, k: int, metric: str, exact: bool, filters: "Filters") -> "QueryResult":
    """Run `like` (query: an image path) or `search` (query: words) where the store lives."""
    from photofind.cli.output import filter_args
    from photofind.cli.route import answer
    from photofind.results import QueryResult

    common: dict[str, Any] = {"k": k, "metric": metric, "exact": exact}

    def local(store: "Store", embedder: "Embedder") -> "QueryResult":
        from photofind.search import like, search_text

        vectors = store.vectors(embedder.id, settings.space)
        if cmd == "like":
            return like(Path(query), store.catalog, vectors, embedder, max_pixels=settings.max_pixels,
                        filters=filters, **common)
        return search_text(query, store.catalog, vectors, embedder, filters=filters, **common)

    key = "image" if cmd == "like" else "text"
    return answer(settings, cmd, {key: query, **common, **filter_args(filters)}, local, QueryResult.from_json)


@handles_errors
def like(
    ctx: typer.Context,
    image: Path = typer.Argument(..., help="Any image file, indexed or not."),
    k: int = TOP,
    metric: str = METRIC,
    exact: bool = EXACT,
    since: Optional[str] = SINCE,
    until: Optional[str] = UNTIL,
    within: Optional[Path] = WITHIN,
    min_score: Optional[float] = MIN_SCORE,
    grid: Optional[Path] = typer.Option(None, "--grid", help="Also write the query and results as a PNG contact sheet."),
    open_grid: bool = typer.Option(False, "--open", help="Show the --grid file in the system image viewer."),
    html: Optional[Path] = HTML,
    preview: bool = PREVIEW,
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    as_json: bool = options.JSON,
) -> None:
    """Show the indexed photos most like IMAGE."""
    settings = load_settings(ctx, **options.model_flags(model, device))
    image = image.expanduser().resolve()  # the daemon has another working directory
    result = find(settings, "like", str(image), k=k, metric=metric, exact=exact,
                  filters=filters_from(since, until, within, min_score))
    show(result, as_json=as_json, html=html, preview=preview, grid=grid, open_grid=open_grid)


@handles_errors
def search(
    ctx: typer.Context,
    text: str = typer.Argument(..., help='What to look for, in words: "a dog on the beach".'),
    k: int = TOP,
    metric: str = METRIC,
    exact: bool = EXACT,
    since: Optional[str] = SINCE,
    until: Optional[str] = UNTIL,
    within: Optional[Path] = WITHIN,
    min_score: Optional[float] = MIN_SCORE,
    html: Optional[Path] = HTML,
    preview: bool = PREVIEW,
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    as_json: bool = options.JSON,
) -> None:
    """Find photos by description (CLIP's text tower)."""
    settings = load_settings(ctx, **options.model_flags(model, device))
    result = find(settings, "search", text, k=k, metric=metric, exact=exact,
                  filters=filters_from(since, until, within, min_score))
    show(result, as_json=as_json, html=html, preview=preview)
