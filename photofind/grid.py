"""Contact sheets: the query and its top-k as one PNG, each tile titled (the tutorial's plot)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

from photofind.errors import InputError, NotAnImageError
from photofind.media.images import open_image

TILE = 192  # square picture area of each tile, px
TITLE_H = 34  # two lines of text under it
PAD = 8
MAX_COLUMNS = 6
BACKGROUND = (255, 255, 255)
QUERY_FRAME = (220, 40, 40)


@dataclass(frozen=True)
class Tile:
    path: str
    title: str  # first line: rank (or "query"), second: folder and score


def layout(n_tiles: int, columns: int = MAX_COLUMNS) -> tuple[tuple[int, int], list[tuple[int, int, int, int]]]:
    """Sheet size and the picture box (left, top, right, bottom) of each tile, row by row."""
    cols = max(1, min(columns, n_tiles))
    rows = math.ceil(n_tiles / cols)
    cell_w, cell_h = TILE + PAD, TILE + TITLE_H + PAD
    size = (PAD + cols * cell_w, PAD + rows * cell_h)
    boxes = []
    for i in range(n_tiles):
        left = PAD + (i % cols) * cell_w
        top = PAD + (i // cols) * cell_h
        boxes.append((left, top, left + TILE, top + TILE))
    return size, boxes


def fit(image: Image.Image) -> Image.Image:
    """The whole picture, aspect kept, centred in a TILE x TILE white square."""
    thumb = image.copy()
    thumb.thumbnail((TILE, TILE), Image.Resampling.LANCZOS)
    square = Image.new("RGB", (TILE, TILE), BACKGROUND)
    square.paste(thumb, ((TILE - thumb.width) // 2, (TILE - thumb.height) // 2))
    return square


def contact_sheet(tiles: Sequence[Tile], out: Path, queries: int = 1) -> Path:
    """Write the first `queries` tiles (the query images, framed in red) and the rest to `out` as PNG."""
    if out.suffix.lower() != ".png":
        raise InputError(f"{out}: the grid is written as PNG; give a .png file name")
    size, boxes = layout(len(tiles))
    sheet = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=12)
    for i, (tile, box) in enumerate(zip(tiles, boxes)):
        try:
            picture = fit(open_image(tile.path, min_side=TILE)[0])
        except NotAnImageError:
            picture = Image.new("RGB", (TILE, TILE), (200, 200, 200))  # moved or deleted since indexing
        sheet.paste(picture, box[:2])
        if i < queries:
            draw.rectangle((box[0] - 3, box[1] - 3, box[2] + 2, box[3] + 2), outline=QUERY_FRAME, width=2)
        draw.multiline_text((box[0], box[3] + 3), tile.title, fill=(0, 0, 0), font=font, spacing=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def shorten(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def like_tiles(query: str, matches: Sequence["object"], metric: str,
               queries: Sequence[tuple[str, str]] = ()) -> list[Tile]:
    """Tiles for a `like` result: the query, then each match titled rank, folder and score.
    `queries`: a combined query's images as (path, caption), instead of the one query."""
    tiles = [Tile(path, f"{caption}\n{shorten(Path(path).parent.name)}")
             for path, caption in queries or [(query, "query")]]
    for m in matches:
        tiles.append(Tile(m.path, f"#{m.rank} {shorten(Path(m.path).parent.name, 22)}\n{metric} {m.score:.4f}"))  # type: ignore[attr-defined]
    return tiles


def open_in_viewer(path: Path) -> bool:
    """Show `path` with the desktop's viewer, if this machine has one. Returns whether it tried."""
    import os
    import shutil
    import subprocess
    import sys

    opener = "open" if sys.platform == "darwin" else "xdg-open"
    if shutil.which(opener) is None:
        return False
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False  # xdg-open would fail without a word: there is no screen to show it on
    subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return True
