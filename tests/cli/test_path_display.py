"""Paths in the `like`, `dupes` and `status` tables: one line each at any width, shown within
their root or under `~`, elided in the middle with the file name kept, linked (OSC 8) to the full
path, which `--json` keeps too. Rendered by real Rich consoles of 80 and 130 columns and by the
real CLI on a pseudo-terminal, both replayed on tests/helpers/terminals.py's screen model."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from rich.console import Console

from photofind.cli import render
from photofind.cli.paths import elide
from photofind.dupes.report import DupesReport, Group, Member
from photofind.results import Match, QueryResult, StatusReport
from tests.conftest import REPO
from tests.helpers.images import library
from tests.helpers.terminals import Screen, run_in_pty

LONG = "2023 summer holidays on the north sea coast"


def link(path: str | Path) -> str:
    return "file://" + quote(str(path))


def rich_screen(width: int, draw, monkeypatch: pytest.MonkeyPatch) -> Screen:
    """What `draw(console)` prints on a terminal of `width` columns."""
    console = Console(file=io.StringIO(), width=width, force_terminal=True, color_system="truecolor",
                      legacy_windows=False, highlight=False)
    monkeypatch.setattr(render, "console", console)
    draw(console)
    return Screen(width).feed(console.file.getvalue().replace("\n", "\r\n"))


def rows(screen: Screen) -> list[int]:
    """The screen lines of a table's body rows."""
    return [n for n, line in enumerate(screen.text_lines()) if line.startswith("│")]


def check_rows(screen: Screen, paths: list[str], width: int) -> list[str]:
    """One line per path, in order: its file name visible, its link the full path."""
    lines = screen.text_lines()
    body = rows(screen)
    assert len(body) == len(paths), "a row took more than one line:\n" + "\n".join(lines)
    for n, path in zip(body, paths):
        assert os.path.basename(path) in lines[n], lines[n]
        assert screen.link_targets(n) == {link(path)}
        assert len(lines[n]) <= width
    return [lines[n] for n in body]


def test_elide_keeps_the_start_and_the_file_name() -> None:
    path = f"{LONG}/animals_birds/00006.jpg"
    for width in (12, 20, 30, 50):
        shown = elide(path, width)
        assert len(shown) == width and "…" in shown
        assert shown.endswith("/00006.jpg") and path.startswith(shown.split("…")[0])
    assert elide(path, len(path)) == path
    assert elide("folder/a-very-long-file-name.jpeg", 10) == "…name.jpeg"  # the name's end, when it alone is too long
    assert elide("photos/写真の名前.jpg", 12).endswith("の名前.jpg")  # wide characters count two cells


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    return home


def query_result(paths: list[str], roots: list[str]) -> QueryResult:
    matches = [Match(i + 1, p, 0.95 - i / 10, f"{i:064d}", 4000, 3000, "2023-07-01T10:22:03",
                     "exif" if i else "mtime") for i, p in enumerate(paths)]
    return QueryResult(paths[0], "pixel-32", "cosine", True, False, True, matches, roots=roots)


@pytest.mark.parametrize("width", [80, 130])
def test_like_rows_within_their_root(home: Path, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    root = home / "Pictures"
    paths = [str(root / LONG / "animals_birds" / f"{n:05d}.jpg") for n in (6, 12, 103)]
    result = query_result(paths, [str(root), "/mnt/elsewhere"])
    screen = rich_screen(width, lambda c: c.print(render.like_table(result)), monkeypatch)
    shown = check_rows(screen, paths, width)
    text = "\n".join(screen.text_lines())
    assert "~/Pictures" in text and str(home) not in text  # the root once, in the header; under ~
    title = screen.text_lines()[0]  # the query's path: on one line too, linked to its full path
    assert title.startswith("Most like ~/Pictures/2023 summer") and title.endswith("/00006.jpg")
    assert screen.link_targets(0) == {link(paths[0])}
    relative = f"{LONG}/animals_birds/"
    if width == 80:  # 66 characters do not fit: elided in the middle, the start and name kept
        assert all("…" in line and "│ 2023 summer" in line for line in shown)
    else:
        assert all(relative in line for line in shown)


def test_rows_from_several_roots_are_shown_under_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    paths = [str(home / "Pictures" / LONG / "a.jpg"), str(home / "Backup" / "b.jpg"), "/mnt/disk/c.jpg"]
    result = query_result(paths, [str(home / "Pictures"), str(home / "Backup")])
    screen = rich_screen(130, lambda c: c.print(render.like_table(result)), monkeypatch)
    shown = check_rows(screen, paths, 130)
    assert f"~/Pictures/{LONG}/a.jpg" in shown[0] and "~/Backup/b.jpg" in shown[1] and "/mnt/disk/c.jpg" in shown[2]


@pytest.mark.parametrize("width", [80, 130])
def test_dupes_rows_fit(home: Path, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    roots = [str(home / "Pictures"), str(home / "Backup")]
    paths = [f"{roots[0]}/{LONG}/animals_birds/00006.jpg", f"{roots[1]}/{LONG} (copy)/animals_birds/00006.jpg"]
    members = [Member(p, 2_400_000, 4000, 3000, "2023-07-01T10:22:03", "0" * 64) for p in paths]
    report = DupesReport("pixel-32", [Group("exact", members, paths[0], "exact", 0, None)], roots)
    screen = rich_screen(width, lambda c: render.render_dupes(report), monkeypatch)
    shown = check_rows(screen, paths, width)
    assert "~/Pictures/" in shown[0] and "~/Backup/" in shown[1]
    assert "✓" in shown[0]


def test_status_paths_fit(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roots = [str(home / "Pictures" / LONG / "and a few more folders to make it long"), "/srv/photos"]
    bad = f"{roots[0]}/animals_birds/broken-file.jpg"
    report = StatusReport(str(home / ".local/share/photofind"), 2_000_000, roots, 10, 9, {"not a readable image": 1},
                          [(bad, "not a readable image (unknown format)")], "pixel-32", [], None, None)
    screen = rich_screen(80, lambda c: render.render_status(report), monkeypatch)
    lines = screen.text_lines()
    for target, name in ((roots[0], "long"), (roots[1], "photos"), (bad, "broken-file.jpg")):
        at = [n for n in range(len(lines)) if screen.link_targets(n) == {link(target)}]
        assert len(at) == 1, f"{target} is not on one line of its own:\n" + "\n".join(lines)
        assert name in lines[at[0]] and len(lines[at[0]]) <= 80
    assert lines[0].startswith("store      ~/.local/share/photofind (")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_")}
    env.update(HOME=str(home), PHOTOFIND_HOME=str(home / "pf"), PHOTOFIND_SERVER_AUTOSTART="false",
               PHOTOFIND_STORE_CACHE_DIR=str(home / "cache"), XDG_CONFIG_HOME=str(home / "xdg"),
               PYTHONPATH=os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return env


def _photofind(*args: str) -> list[str]:
    return [sys.executable, "-m", "photofind", "--no-server", *args]


@pytest.fixture
def two_roots(home: Path) -> dict:
    """Photos deep in ~/Pictures and one copy in ~/Backup, indexed by the real CLI."""
    pictures, backup = home / "Pictures", home / "Backup"
    files = library(pictures / LONG / "animals_birds", 4)
    copy = backup / f"{LONG} (copy)" / "photo_0001.jpg"
    copy.parent.mkdir(parents=True)
    shutil.copy(files[1], copy)
    env = _env(home)
    res = subprocess.run(_photofind("index", "--model", "pixel", "-q", str(pictures), str(backup)),
                         env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    return {"env": env, "files": files, "copy": copy}


@pytest.mark.slow
def test_cli_tables_in_a_real_terminal(two_roots: dict) -> None:
    env, files = two_roots["env"], two_roots["files"]
    res = subprocess.run(_photofind("like", "-m", "pixel", "-k", "3", "--json", str(files[3])), env=env,
                         capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, res.stderr
    paths = [m["path"] for m in json.loads(res.stdout)["matches"]]
    assert all(os.path.isabs(p) and Path(p).is_file() for p in paths)  # --json: full paths
    assert set(paths) <= {str(f) for f in files} | {str(two_roots["copy"])}
    for width in (80, 130):
        out = run_in_pty(_photofind("like", "-m", "pixel", "-k", "3", str(files[3])), env, width, 50,
                         (10, 20), "")
        check_rows(Screen(width).feed(out), paths, width)

    out = run_in_pty(_photofind("dupes", "--exact-only"), env, 80, 50, (10, 20), "")
    screen = Screen(80).feed(out)
    check_rows(screen, sorted([str(files[1]), str(two_roots["copy"])]), 80)

    out = run_in_pty(_photofind("status", "-m", "pixel"), env, 80, 50, (10, 20), "")
    screen = Screen(80).feed(out)
    lines = screen.text_lines()
    for root in (files[0].parents[2], two_roots["copy"].parents[1]):
        at = [n for n in range(len(lines)) if screen.link_targets(n) == {link(root)}]
        assert len(at) == 1 and lines[at[0]].strip().startswith("~/"), "\n".join(lines)
