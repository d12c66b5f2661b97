"""Thumbnails in the terminal, through textual-image: Sixel or the Kitty graphics protocol where
the terminal answers that it supports them, half-block characters elsewhere, nothing when
stdout is not a terminal (a pipe or a file gets no escape codes). Colours in the depth the
terminal shows, which inside tmux only tmux can tell (`colour_depth`).

The layout is ours, not a Rich table's: every thumbnail of a row is given the same number of
lines and a width that keeps its aspect ratio, rows hold as many as fit, and each caption sits on
the line right under its image. textual-image's renderables with `height="auto"` inside a grid
gave each image its own height (a portrait stamp twice as tall as a landscape one), so captions
floated at each image's own bottom, a staircase; and a Sixel image's cursor moves, rendered
inside a grid cell, add a line of their own under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment

ROW_LINES = 10  # terminal lines per row of thumbnails (fewer on a short terminal)
MAX_COLUMNS = 40  # a panorama is narrowed to this and drawn shorter, still standing on its caption
GAP = 1  # blank cells between two thumbnails
DEFAULT_CELL = (10, 20)  # pixels per cell when the terminal does not say (textual-image's guess too)


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


def cell_pixels() -> tuple[int, int]:
    """The terminal's cell size in pixels, as textual-image measures it for its own drawing."""
    try:
        from textual_image._terminal import TerminalError, get_cell_size
    except ImportError:  # a textual-image that moved it: its usual guess keeps the shapes close
        return DEFAULT_CELL
    try:
        size = get_cell_size()
    except TerminalError:
        return DEFAULT_CELL
    return size.width, size.height


def fit(size: tuple[int, int], cell: tuple[int, int], lines: int, max_columns: int) -> tuple[int, int]:
    """Cells (columns, lines) that show an image of `size` pixels `lines` tall with its aspect
    ratio, on cells of `cell` pixels; narrowed to `max_columns`, which makes it shorter."""
    (w, h), (cw, ch) = size, cell
    columns = max(1, round(lines * ch * w / (h * cw)))
    if columns <= max_columns:
        return columns, lines
    return max_columns, max(1, round(max_columns * cw * h / (w * ch)))


def pack(widths: Sequence[int], width: int, gap: int = GAP) -> list[list[int]]:
    """Indices of `widths` in rows, left to right, as many per row as fit in `width` cells."""
    rows: list[list[int]] = []
    used = 0
    for i, w in enumerate(widths):
        if rows and used + gap + w <= width:
            rows[-1].append(i)
            used += gap + w
        else:
            rows.append([i])
            used = w
    return rows


@dataclass(frozen=True)
class Thumb:
    caption: str
    image: Any  # a PIL image, or None when the file could not be opened
    columns: int  # of the image
    lines: int  # of the image, at most the row's
    slot: int  # cells the thumbnail takes in its row: the image's or the caption's width


@dataclass(frozen=True)
class _Block:
    lines: list[list[Segment]]  # the row's lines of this thumbnail, each `slot` cells wide
    controls: list[Segment]  # drawn from the caption line: a Sixel image's "save, up, draw, restore"


class PreviewSheet:
    """Rows of thumbnails with their captions, for `console.print`."""

    def __init__(self, thumbs: Sequence[Thumb], renderer: Any, width: int, lines: int) -> None:
        self.thumbs, self.renderer, self.width, self.lines = list(thumbs), renderer, width, lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in pack([t.slot for t in self.thumbs], self.width):
            thumbs = [self.thumbs[i] for i in row]
            blocks = [self._block(console, options, t) for t in thumbs]
            for n in range(self.lines):
                for j, block in enumerate(blocks):
                    if j:
                        yield Segment(" " * GAP)
                    yield from block.lines[n]
                yield Segment.line()
            # Caption line: the line right under every image; a Sixel image is drawn from here,
            # exactly as textual-image draws it from the line under its placeholder.
            for j, (thumb, block) in enumerate(zip(thumbs, blocks)):
                if j:
                    yield Segment(" " * GAP)
                yield from block.controls
                yield Segment(thumb.caption[: thumb.slot].ljust(thumb.slot))
            yield Segment.line()

    def _block(self, console: Console, options: ConsoleOptions, thumb: Thumb) -> _Block:
        blank = [Segment(" " * thumb.slot)]
        if thumb.image is None:
            return _Block([blank] * (self.lines - 1) + [[Segment("(missing)"[: thumb.slot].ljust(thumb.slot))]], [])
        renderable = self.renderer(thumb.image, width=thumb.columns, height=thumb.lines)
        text: list[Segment] = []
        controls: list[Segment] = []
        for segment in console.render(renderable, options.update(width=thumb.columns, height=thumb.lines)):
            (controls if segment.control else text).append(segment)
        drawn = list(Segment.split_and_crop_lines(text, thumb.columns, pad=True, include_new_lines=False))
        drawn = (drawn + [[Segment(" " * thumb.columns)]] * thumb.lines)[: thumb.lines]
        pad = [Segment(" " * (thumb.slot - thumb.columns))] if thumb.slot > thumb.columns else []
        # Bottom-aligned: a shorter (wider) image stands on its caption like the others.
        return _Block([blank] * (self.lines - thumb.lines) + [line + pad for line in drawn], controls)


def preview_sheet(paths: Sequence[str], captions: Sequence[str], renderer: Any, width: int,
                  height: int | None = None, cell: tuple[int, int] | None = None) -> PreviewSheet:
    """Thumbnails of `paths` laid out for a terminal `width` cells wide (and `height` lines tall)."""
    from photofind.errors import NotAnImageError
    from photofind.media.images import open_image

    lines = ROW_LINES if height is None else max(3, min(ROW_LINES, height - 2))
    max_columns = max(1, min(MAX_COLUMNS, width))
    cell = cell or cell_pixels()
    thumbs: list[Thumb] = []
    for path, caption in zip(paths, captions):
        try:
            image, _ = open_image(path, min_side=256)
        except NotAnImageError:
            thumbs.append(Thumb(caption, None, 0, 0, min(width, max(len(caption), len("(missing)")))))
            continue
        columns, rows = fit(image.size, cell, lines, max_columns)
        thumbs.append(Thumb(caption, image, columns, rows, min(width, max(columns, len(caption)))))
    return PreviewSheet(thumbs, renderer, width, lines)


def ask_tmux(fmt: str) -> str | None:
    """A format of the tmux client this process shows on (`tmux display -p`); None when tmux
    cannot say (no client attached, tmux not found or too slow)."""
    import subprocess

    try:
        done = subprocess.run(["tmux", "display", "-p", fmt], capture_output=True, text=True, timeout=2,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def colour_depth(env: Mapping[str, str], tmux: Callable[[str], str | None] = ask_tmux) -> str | None:
    """The colours the terminal really shows: "truecolor", "256", or None to leave Rich's guess.

    Rich reads COLORTERM and TERM. Inside tmux, TERM says tmux-256color and COLORTERM is often
    unset (tmux does not pass it on), so Rich draws thumbnails in 256 colours, in blotches, even
    where tmux passes 24-bit colour to a terminal that shows it. tmux knows: its client's
    features (tmux >= 3.2, `terminal-features`, or Tc/RGB in terminfo) include RGB exactly then."""
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    if env.get("TMUX"):
        features = tmux("#{client_termfeatures}")
        if features:  # empty: no client attached, or a tmux older than 3.2
            return "truecolor" if "RGB" in features.split(",") else "256"
    return None


def preview_console(console: Console, env: Mapping[str, str] | None = None) -> Console:
    """`console`, or a twin writing to the same terminal in the colour depth it really has."""
    import os

    depth = colour_depth(os.environ if env is None else env)
    if depth is None or console.color_system in (None, depth):  # None: no colour wanted (NO_COLOR, dumb)
        return console
    return Console(file=console.file, force_terminal=True, color_system=depth,  # type: ignore[arg-type]
                   width=console.width, height=console.height, highlight=False)


def show_previews(console: Console, paths: Sequence[str], captions: Sequence[str]) -> bool:
    renderer = choose_renderer(console.is_terminal)
    if renderer is None:
        return False
    console = preview_console(console)
    console.print(preview_sheet(paths, captions, renderer, console.width, console.height))
    return True

