from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from photofind.grid import TILE, Tile, contact_sheet, layout
from tests.helpers.images import save


def test_grid_has_k_plus_one_tiles_each_from_the_right_image(tmp_path: Path) -> None:
    colours = [(250, 0, 0), (0, 250, 0), (0, 0, 250), (250, 250, 0), (0, 250, 250), (250, 0, 250), (120, 60, 0), (10, 10, 10)]
    paths = [save(Image.new("RGB", (100, 100), c), tmp_path / f"c{i}.png") for i, c in enumerate(colours)]
    tiles = [Tile(str(p), f"#{i}\nx") for i, p in enumerate(paths)]  # query + k=7
    out = contact_sheet(tiles, tmp_path / "grid.png")
    sheet = Image.open(out).convert("RGB")
    size, boxes = layout(len(tiles))
    assert sheet.size == size and len(boxes) == 8
    assert size == (8 + 6 * (TILE + 8), 8 + 2 * (TILE + 34 + 8))  # 6 columns, 2 rows
    arr = np.asarray(sheet)
    for colour, (left, top, right, bottom) in zip(colours, boxes):
        centre = arr[(top + bottom) // 2 - 10 : (top + bottom) // 2 + 10, (left + right) // 2 - 10 : (left + right) // 2 + 10]
        assert np.abs(centre.astype(int) - colour).max() <= 2


def test_missing_result_file_gives_a_grey_tile_not_a_crash(tmp_path: Path) -> None:
    q = save(Image.new("RGB", (50, 50), (0, 0, 0)), tmp_path / "q.png")
    out = contact_sheet([Tile(str(q), "query"), Tile(str(tmp_path / "gone.jpg"), "#1")], tmp_path / "g.png")
    _, boxes = layout(2)
    l, t, r, b = boxes[1]
    assert Image.open(out).convert("RGB").getpixel(((l + r) // 2, (t + b) // 2)) == (200, 200, 200)
