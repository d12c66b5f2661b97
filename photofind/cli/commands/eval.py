"""`photofind eval DATA_DIR`: precision of each embedder x metric on a labelled folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from photofind.cli import options
from photofind.cli.console import console, err_console, handles_errors
from photofind.cli.options import load_settings, model_flags
from photofind.cli.progress import progress_bar
from photofind.cli.render import dumps
from photofind.embedders import MODELS
from photofind.errors import InputError

if TYPE_CHECKING:
    from photofind.evaluation.evaluate import EvalReport


def _split(value: str, what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise InputError(f"{what} needs at least one value")
    return items


def eval_table(report: "EvalReport") -> Table:
    table = Table(
        title=f"{report.dataset}: {report.train_images} train / {report.test_images} test images, {report.classes} classes",
        title_justify="left",
    )
    for col in ["embedder", "metric", *(f"P@{k}" for k in report.ks), "mAP@10", "HNSW recall", "images/s", "query ms"]:
        table.add_column(col, justify="left" if col in ("embedder", "metric") else "right")
    for r in report.rows:
        if r.error:
            table.add_row(r.embedder, r.metric, "unavailable", *["-"] * (len(report.ks) + 3))
            continue
        table.add_row(
            r.embedder, r.metric, *(f"{r.precision[k]:.3f}" for k in report.ks), f"{r.map10:.3f}",
            "n/a (exact)" if r.hnsw_recall is None else f"{r.hnsw_recall:.3f}",
            f"{r.images_per_s:.1f}", f"{r.query_ms:.2f}",
        )
    return table


app = options.command_app()


@app.command("eval")
@handles_errors
def eval_(
    ctx: typer.Context,
    data_dir: Path = typer.Argument(..., help="A folder with train/<class>/* and test/<class>/*."),
    embedders: str = typer.Option(",".join(n for n in list(MODELS)[::-1] if n != "clip-multilingual"), "--embedders", help="Comma-separated models."),
    metrics: str = typer.Option("cosine,l2,l1,corr", "--metrics", help="Comma-separated metrics."),
    ks: str = typer.Option("1,5,10", "-k", help="Comma-separated k for P@k."),
    as_json: bool = options.JSON,
    grid_dir: Optional[Path] = typer.Option(None, "--grid-dir", help="Save a result grid for every query here."),
    device: Optional[str] = options.DEVICE,
) -> None:
    """Measure retrieval quality on a labelled train/test folder (your own index is not touched)."""
    from photofind.embedders import Models
    from photofind.embedders.weights import report_downloads
    from photofind.evaluation.evaluate import evaluate, read_layout
    from photofind.scanner import PathFilter

    settings = load_settings(ctx, **model_flags(None, device))
    try:
        k_values = [int(k) for k in _split(ks, "-k")]
    except ValueError:
        raise InputError(f"-k takes numbers like 1,5,10 (got {ks!r})") from None
    path_filter = PathFilter(settings.extensions, settings.exclude)
    layout = read_layout(data_dir.expanduser().resolve(), path_filter)
    names = _split(embedders, "--embedders")
    for name in names:
        if name not in MODELS:
            raise InputError(f"unknown model {name!r} in --embedders; choose from {', '.join(MODELS)}")
    with progress_bar(not as_json and err_console.is_terminal, label="embedding") as on_progress, \
            report_downloads(on_progress):  # CLIP's weights, the first time
        report = evaluate(
            layout, names, Models(settings.model).get,
            metrics=_split(metrics, "--metrics"), ks=k_values, settings=settings, grid_dir=grid_dir,
            on_progress=(lambda _name, p: on_progress(p)) if on_progress else None,
        )
    if as_json:
        print(dumps(report.to_json()))
    else:
        console.print(eval_table(report))
        for name, error in dict.fromkeys((r.embedder, r.error) for r in report.rows if r.error):
            console.print(f"{name} unavailable: {error}", soft_wrap=True)
        if report.skipped:
            console.print(f"{len(report.skipped)} images skipped, e.g. {report.skipped[0][0]}: {report.skipped[0][1]}")
