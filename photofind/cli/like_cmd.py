"""`photofind like IMAGE`: the indexed photos that look most like IMAGE.

Imports stay inside the functions: through the daemon, a query needs only the socket and
the table, and starts in a fraction of the time numpy, Chroma or torch would add."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from photofind.cli import options
from photofind.cli.common import console, err_console, handles_errors, load_settings
from photofind.config import Settings

if TYPE_CHECKING:
    from photofind.results import LikeResult


def find_like(settings: Settings, image: Path, k: int, metric: str, exact: bool) -> "LikeResult":
    from photofind.cli.route import daemon_client
    from photofind.results import LikeResult

    image = image.expanduser().resolve()  # the daemon has another working directory
    client = daemon_client(settings.data_dir)
    if client is not None:
        return LikeResult.from_json(
            client.call("like", image=str(image), k=k, metric=metric, exact=exact, model=settings.model.name)
        )
    from photofind.embedders import create_embedder
    from photofind.search import like as run_like
    from photofind.store import Store

    embedder = create_embedder(settings.model)
    with Store(settings.data_dir, "like", must_exist=True) as store:
        return run_like(
            image, store.catalog, store.vectors(embedder.id, settings.space), embedder,
            k=k, metric=metric, exact=exact, max_pixels=settings.max_pixels,
        )


@handles_errors
def like(
    ctx: typer.Context,
    image: Path = typer.Argument(..., help="Any image file, indexed or not."),
    k: int = typer.Option(10, "-k", "--top", help="How many results."),
    metric: str = typer.Option(
        "cosine", "--metric", help="cosine or l2 (from the Chroma index), l1 or corr (exact scan)."
    ),
    exact: bool = typer.Option(False, "--exact", help="Score every stored vector instead of using the index."),
    grid: Optional[Path] = typer.Option(None, "--grid", help="Also write the query and results as a PNG contact sheet."),
    open_grid: bool = typer.Option(False, "--open", help="Show the --grid file in the system image viewer."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    as_json: bool = options.JSON,
) -> None:
    """Show the indexed photos most like IMAGE."""
    from photofind.cli.render import dumps, like_table

    settings = load_settings(ctx, **options.model_flags(model, device))
    result = find_like(settings, image, k, metric, exact)
    if as_json:
        print(dumps(result.to_json()))
    else:
        console.print(like_table(result))
    if grid is not None:
        from photofind.grid import contact_sheet, like_tiles, open_in_viewer

        contact_sheet(like_tiles(result.query, result.matches, result.metric), grid)
        err_console.print(f"grid written to {grid}", soft_wrap=True)
        if open_grid and not open_in_viewer(grid):
            err_console.print("no image viewer found (xdg-open); open the file yourself", soft_wrap=True)
