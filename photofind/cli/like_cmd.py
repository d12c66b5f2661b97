"""`photofind like IMAGE`: the indexed photos that look most like IMAGE."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.common import console, handles_errors, load_settings
from photofind.cli.render import dumps, like_table
from photofind.embedders import create_embedder
from photofind.search import like as run_like
from photofind.store import Store


@handles_errors
def like(
    ctx: typer.Context,
    image: Path = typer.Argument(..., help="Any image file, indexed or not."),
    k: int = typer.Option(10, "-k", "--top", help="How many results."),
    model: Optional[str] = options.MODEL,
    device: Optional[str] = options.DEVICE,
    as_json: bool = options.JSON,
) -> None:
    """Show the indexed photos most like IMAGE."""
    settings = load_settings(ctx, **options.model_flags(model, device))
    embedder = create_embedder(settings.model)
    with Store(settings.data_dir, "like", must_exist=True) as store:
        result = run_like(
            image, store.catalog, store.vectors(embedder.id, settings.space), embedder,
            k=k, max_pixels=settings.max_pixels,
        )
    if as_json:
        print(dumps(result.to_json()))
    else:
        console.print(like_table(result))
