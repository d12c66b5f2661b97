"""Thumbnails in the terminal, through textual-image: Sixel or the Kitty graphics protocol where
the terminal answers that it supports them, half-block characters elsewhere, nothing when
stdout is not a terminal (a pipe or a file gets no escape codes)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from rich.console import Console
from rich.table import Table

PREVIEW_COLUMNS = 24  # cells per thumbnail; as many fit per row as the terminal is wide


def choose_renderer(
    is_tty: bool,
    sixel: Callable[[], bool] | None = None,
    kitty: Callable[[], bool] | None = None,
) -> Any:
    """The textual-image renderable class for this terminal, or None for no preview.
    textual-image asks the terminal what it supports when it is imported; `sixel` and `kitty`
    replace those answers (tests, or a caller that already knows)."""
    if not is_tty:
        return None
    import logging

    # It warns when a terminal does not report its cell size, then assumes a usual one: fine.
    logging.getLogger("textual_image").setLevel(logging.ERROR)
    import textual_image.renderable as ti

    if sixel is None and kitty is None:
        sixel = lambda: ti.Image is ti.SixelImage  # noqa: E731
        kitty = lambda: ti.Image is ti.TGPImage  # noqa: E731
    if sixel is not None and sixel():
        return ti.SixelImage
    if kitty is not None and kitty():
        return ti.TGPImage
    return ti.HalfcellImage


def preview_grid(paths: Sequence[str], captions: Sequence[str], renderer: Any, width: int) -> Table:
    """A borderless grid of thumbnails that fits `width` terminal cells."""
    from photofind.errors import NotAnImageError
    from photofind.media.images import open_image

    per_row = max(1, width // (PREVIEW_COLUMNS + 1))
    grid = Table.grid(padding=(0, 1))
    for _ in range(min(per_row, len(paths))):
        grid.add_column(width=PREVIEW_COLUMNS)
    row: list[Any] = []
    for path, caption in zip(paths, captions):
        try:
            image, _ = open_image(path, min_side=256)
            cell: Any = Table.grid()
            cell.add_row(renderer(image, width=PREVIEW_COLUMNS, height="auto"))
            cell.add_row(caption)
        except NotAnImageError:
            cell = f"{caption}\n(missing)"
        row.append(cell)
        if len(row) == per_row:
            grid.add_row(*row)
            row = []
    if row:
        grid.add_row(*row)
    return grid


def show_previews(console: Console, paths: Sequence[str], captions: Sequence[str]) -> bool:
    renderer = choose_renderer(console.is_terminal)
    if renderer is None:
        return False
    console.print(preview_grid(paths, captions, renderer, console.width))
    return True
