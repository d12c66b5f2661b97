"""`like --preview` laid out on real terminals: thumbnails side by side, as many per row as fit,
each caption on the line right under its own image, no staircase.

Half-blocks are checked on the screen tmux shows (`capture-pane`), at 80 and 130 columns. tmux
3.3 draws neither Sixel nor Kitty graphics, so those two are checked on the byte stream the CLI
writes to a pseudo-terminal that answers the terminal queries as such a terminal would: the
stream is replayed on a small screen model (tests/helpers/terminals.py) that tracks where each Sixel image
starts and how many pixels it covers, and where each Kitty placeholder cell (which names its own
row and column in the image) lands. What no test here sees is the pixels a real terminal paints.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers.cli import run_here
from tests.helpers.images import save, scene
from tests.helpers.terminals import KITTY_PLACEHOLDER, Screen, Tmux, run_in_pty

pytestmark = pytest.mark.slow  # real terminals (tmux, ptys)

K = 6
# Shapes a photo library has: landscape, portrait, square, wide, a panorama.
SIZES = [(160, 120), (160, 120), (120, 160), (200, 100), (150, 150), (400, 100), (180, 120)]
CAPTION = re.compile(r"#(\d+) \d\.\d{3}")


@dataclass(frozen=True)
class Rect:
    top: int
    left: int
    height: int
    width: int


@dataclass(frozen=True)
class Caption:
    line: int
    column: int
    rank: int
    text: str


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Photos of several shapes, indexed by the real CLI into a data dir of their own; the ranks
    `like` gives them, from its --json."""
    base = tmp_path_factory.mktemp("preview")
    root = base / "photos"
    files = [save(scene(i, size), root / f"p{i}.jpg", quality=92) for i, size in enumerate(SIZES)]
    env = _env(base)
    _cli(env, "index", "--model", "pixel", "-q", str(root))
    answer = json.loads(_cli(env, "like", "-m", "pixel", "-k", str(K), "--json", str(files[0])))
    shapes = {str(f): size for f, size in zip(files, SIZES)}
    ranked = {m["rank"]: shapes[m["path"]] for m in answer["matches"]}
    assert len(ranked) == K
    paths = [m["path"] for m in answer["matches"]]
    return {"base": base, "env": env, "query": str(files[0]), "shapes": ranked, "paths": paths}


def _env(base: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    env.update(PHOTOFIND_HOME=str(base / "home"), PHOTOFIND_STORE_CACHE_DIR=str(base / "cache"),
               PHOTOFIND_SERVER_AUTOSTART="false", XDG_CONFIG_HOME=str(base / "xdg"),
               PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    res = run_here("--no-server", *args, env=env)  # the tests' own `like` runs in a real terminal
    assert res.returncode == 0, res.stderr
    return res.stdout


def _like(library: dict) -> list[str]:
    return [sys.executable, "-m", "photofind", "--no-server", "like", "-m", "pixel", "-k", str(K), "--preview",
            library["query"]]


def captions_of(lines: list[str]) -> list[Caption]:
    return [Caption(n, m.start(), int(m.group(1)), m.group(0)) for n, line in enumerate(lines)
            for m in CAPTION.finditer(line)]


def check_sheet(rects: list[Rect], captions: list[Caption], width: int, shapes: dict[int, tuple[int, int]],
                cell: tuple[int, int] | None = None) -> None:
    """The layout the issue asks for, read from where things landed on the screen."""
    assert len(rects) == len(captions) == K, (rects, captions)
    under: dict[int, Rect] = {}
    for c in captions:
        # Directly under its own image: same left column, the line right after its last line.
        above = [r for r in rects if r.left == c.column and r.top + r.height == c.line]
        assert len(above) == 1, (c, rects)
        under[c.rank] = above[0]
    for r in rects:
        assert r.left + r.width <= width
        assert all(not (r.top <= c.line < r.top + r.height and r.left <= c.column < r.left + r.width)
                   for c in captions)
        for o in rects:
            if o is not r:
                overlap = (r.top < o.top + o.height and o.top < r.top + r.height
                           and r.left < o.left + o.width and o.left < r.left + r.width)
                assert not overlap, (r, o)
    # No staircase: images side by side (sharing a screen line) end on the same line, so their
    # captions share one line.
    for r in rects:
        for o in rects:
            if r.top < o.top + o.height and o.top < r.top + r.height:
                assert r.top + r.height == o.top + o.height, ("staircase", r, o)
    assert [c.rank for c in captions] == list(range(1, K + 1))  # reading order is rank order
    rows = sorted({c.line for c in captions})
    tallest = max(r.height for r in rects)
    # One caption line per row of thumbnails; the next row starts on the line after; rows used are
    # at most thumbnails plus captions.
    tops = []
    for n, line in enumerate(rows):
        row = [c for c in captions if c.line == line]
        top = min(under[c.rank].top for c in row)
        tops.append(top)
        assert top >= (rows[n - 1] + 1 if n else 0)
    assert rows[-1] + 1 - tops[0] <= len(rows) * (tallest + 1)
    for a, b in zip(rows, rows[1:]):
        assert min(under[c.rank].top for c in captions if c.line == b) == a + 1  # no blank lines between rows
    # As many per row as fit: the first thumbnail of a row did not fit at the end of the row before.
    def slot(c: Caption) -> int:
        return max(under[c.rank].width, len(c.text))

    for a, b in zip(rows, rows[1:]):
        last = max((c for c in captions if c.line == a), key=lambda c: c.column)
        first = min((c for c in captions if c.line == b), key=lambda c: c.column)
        assert last.column + slot(last) + 1 + slot(first) > width, (last, first)
    if cell is not None:  # the shape of each photo survives (cells of a known pixel size)
        for rank, (w, h) in shapes.items():
            r = under[rank]
            shown = r.width * cell[0] / (r.height * cell[1])
            assert abs(math.log(shown / (w / h))) < 0.2, (rank, r, (w, h))


def half_block_rects(lines: list[str], captions: list[Caption]) -> list[Rect]:
    """The image above each caption, and a check that every half-block cell belongs to one."""
    rects = []
    for c in captions:
        above = lines[c.line - 1] if c.line else ""
        run = re.match(r"▀+", above[c.column:])
        assert run, f"no image right above caption {c.text!r}:\n" + "\n".join(lines)
        width = len(run.group(0))
        top = c.line - 1
        while top > 0 and lines[top - 1][c.column: c.column + width] == "▀" * width:
            top -= 1
        rects.append(Rect(top, c.column, c.line - top, width))
    drawn = {(n, col) for n, line in enumerate(lines) for col, ch in enumerate(line) if ch == "▀"}
    covered = {(n, col) for r in rects for n in range(r.top, r.top + r.height)
               for col in range(r.left, r.left + r.width)}
    assert drawn == covered, "half-blocks outside the thumbnails (a staircase, or a cut image)"
    return rects


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (CI installs it: .ci/run)")
@pytest.mark.parametrize("width", [80, 130])
def test_half_block_previews_line_up_in_tmux(library: dict, width: int) -> None:
    with Tmux(width) as tmux:
        lines = tmux.run(_like(library), library["env"], library["base"])
    table = [line for line in lines if line.startswith("│")]  # one line per row: no path wraps
    assert len(table) == K and all(Path(p).name in row for p, row in zip(library["paths"], table)), lines
    sheet = lines[next(n for n, line in enumerate(lines) if "▀" in line):]
    captions = captions_of(sheet)
    check_sheet(half_block_rects(sheet, captions), captions, width, library["shapes"])
    assert all(len(line) <= width for line in lines)
    assert len(sheet) < 40  # the staircase took about 40 lines for five thumbnails


KITTY_ANSWERS = "\x1b[?62;22c" + "\x1b_Gi=1;OK\x1b\\"  # no Sixel in the attributes; Kitty graphics: OK
SIXEL_ANSWERS = "\x1b[?62;4;22c"  # device attributes with 4: Sixel
CELL = (10, 20)


def _pty_screen(library: dict, width: int, answers: str) -> Screen:
    out = run_in_pty(_like(library), library["env"], width, 50, CELL, answers)
    return Screen(width).feed(out)


@pytest.mark.parametrize("width", [80, 130])
def test_sixel_previews_line_up(library: dict, width: int) -> None:
    screen = _pty_screen(library, width, SIXEL_ANSWERS)
    lines = screen.text_lines()
    captions = captions_of(lines)
    assert "▀" not in "".join(lines)  # the terminal said Sixel: no half-blocks
    rects = [Rect(s.line, s.column, math.ceil(s.height_px / CELL[1]), math.ceil(s.width_px / CELL[0]))
             for s in screen.sixels]
    check_sheet(rects, captions, width, library["shapes"], CELL)
    for r in rects:  # the reserved cells under each image hold no text to be painted over
        assert all(lines[n][r.left: r.left + r.width].strip() == "" for n in range(r.top, r.top + r.height))


@pytest.mark.parametrize("width", [80, 130])
def test_kitty_previews_line_up(library: dict, width: int) -> None:
    from textual_image.renderable.tgp import _NUMBER_TO_DIACRITIC as DIACRITICS  # Kitty's published table

    index = {chr(d): n for n, d in enumerate(DIACRITICS)}
    screen = _pty_screen(library, width, KITTY_ANSWERS)
    assert any("m=0" in apc.split(";")[0].split(",") for apc in screen.apc)  # an image's last chunk went out
    # Each placeholder cell names its row and column within its image: group cells by image origin.
    images: dict[tuple[int, int], set[tuple[int, int]]] = {}
    for (line, column), text in screen.cells.items():
        if text.startswith(KITTY_PLACEHOLDER):
            row, col = index[text[1]], index[text[2]]
            images.setdefault((line - row, column - col), set()).add((row, col))
    rects = []
    for (top, left), cells in images.items():
        height, width_ = max(r for r, _ in cells) + 1, max(c for _, c in cells) + 1
        assert len(cells) == height * width_, "an image's placeholder cells are not a full rectangle"
        rects.append(Rect(top, left, height, width_))
    lines = [line.replace(KITTY_PLACEHOLDER, "K") for line in screen.text_lines()]
    check_sheet(rects, captions_of(lines), width, library["shapes"], CELL)


def test_a_missing_photo_keeps_its_place(tmp_path: Path) -> None:
    """A file gone since it was indexed: its slot says so, right above its caption, in line with
    the others (rendered by Rich on a forced terminal, half-blocks)."""
    import io

    from rich.console import Console
    from textual_image.renderable import HalfcellImage

    from photofind.cli.preview import preview_sheet

    photo = save(scene(1, (160, 120)), tmp_path / "here.jpg")
    console = Console(file=io.StringIO(), width=80, force_terminal=True, color_system="truecolor")
    console.print(preview_sheet([str(photo), str(tmp_path / "gone.jpg")], ["#1 0.900", "#2 0.800"], HalfcellImage,
                                80, 50, (10, 20)))
    lines = Screen(80).feed(console.file.getvalue().replace("\n", "\r\n")).text_lines()
    captions = captions_of(lines)
    assert [c.line for c in captions] == [len(lines) - 1] * 2
    gone = captions[1]
    assert lines[gone.line - 1][gone.column:].startswith("(missing)")
    assert half_block_rects(lines, captions[:1])[0].top == 0
