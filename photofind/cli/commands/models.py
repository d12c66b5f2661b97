"""`photofind models`: the offered models, to choose one knowingly."""

from __future__ import annotations

from typing import Optional

import typer

from photofind.cli import options
from photofind.cli.console import console, handles_errors
from photofind.cli.options import load_settings

app = options.command_app()


@app.command()
@handles_errors
def models(ctx: typer.Context, as_json: bool = options.JSON) -> None:
    """List the models: size, languages, published accuracy, speed here, and whether downloaded."""
    _models(ctx, as_json)


def _models(ctx: typer.Context, as_json: bool, model: Optional[str] = None) -> None:
    from photofind.models_list import list_models

    settings = load_settings(ctx)
    rows = list_models(settings.model.name)
    if as_json:
        from photofind.cli.render import dumps

        print(dumps([r.to_json() for r in rows]))
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for col in ("model", "dim", "download", "text languages", "ImageNet zero-shot*", "images/s here**", "downloaded"):
        table.add_column(col, no_wrap=col == "model")
    for r in rows:
        size = f"{r.download_mb:,.0f} MB" if r.download_exact else f"~{r.download_mb:,.0f} MB"
        acc = f"{r.imagenet_zero_shot:.1f} %" if r.imagenet_zero_shot is not None else "-"
        speed = f"{r.images_per_s:.1f}" if r.images_per_s is not None else "-"
        table.add_row(("* " if r.current else "  ") + r.name, str(r.dim), size, r.languages, acc, speed, r.downloaded)
    console.print(table)
    sources = sorted({r.accuracy_source for r in rows if r.imagenet_zero_shot is not None})
    console.print(f"*  publishers' figures, not measured here: {'; '.join(sources)}", highlight=False)
    console.print("** measured here by scripts/bench.py on a 2-core VM, one run (docs/performance.md)", highlight=False)
    console.print("Choose one with --model NAME or model.name in config.toml; each model indexes into its own "
                  "collection.", highlight=False)
