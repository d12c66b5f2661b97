"""`photofind dupes` on generated sets: copies, resized, re-encoded, cropped and rotated versions
of one photo group together; two shots of one scene with things moved do not."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from photofind.cli.app import app
from tests.images import library, save, scene

runner = CliRunner()
SHAPES = [(25, 30), (60, 60), (80, 25)]
MOVED = [(35, 45), (50, 70), (70, 35)]  # the same scene, the objects moved by 10-15 %


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    library(root / "others", 8, start=200, size=(320, 240))
    # A: byte-identical copies; the older one is the keeper
    a = save(scene(1, (320, 240), SHAPES), root / "a" / "a.jpg", quality=92)
    shutil.copy(a, root / "a" / "a copy.jpg")
    os.utime(a, (1_500_000_000, 1_500_000_000))
    # B: the full-size original, a resized copy and a hard re-encode
    b = scene(2, (640, 480), SHAPES)
    save(b, root / "b" / "b_original.jpg", quality=95)
    save(b.resize((320, 240)), root / "b" / "b_small.jpg", quality=90)
    save(b, root / "b" / "b_reencoded.jpg", quality=35)
    # C: lightly cropped (4 % off each side)
    c = scene(3, (400, 300), SHAPES)
    save(c, root / "c" / "c.jpg", quality=92)
    save(c.crop((16, 12, 384, 288)), root / "c" / "c_cropped.jpg", quality=92)
    # D: stored rotated, with the EXIF tag that turns it upright
    d = scene(4, (320, 240), SHAPES)
    save(d, root / "d" / "d.jpg", quality=92)
    exif = Image.Exif()
    exif[0x0112] = 6
    save(d.transpose(Image.Transpose.ROTATE_90), root / "d" / "d_rotated.jpg", quality=92, exif=exif)
    # E: two different shots of one scene
    save(scene(5, (320, 240), SHAPES), root / "e" / "e_shot1.jpg", quality=92)
    save(scene(5, (320, 240), MOVED), root / "e" / "e_shot2.jpg", quality=92)
    res = runner.invoke(app, ["index", str(root), "-m", "pixel"])
    assert res.exit_code == 0, res.output
    return root


def groups(*args: str) -> list[dict]:
    res = runner.invoke(app, ["dupes", "-m", "pixel", "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["groups"]


def names(group: dict) -> set[str]:
    return {Path(m["path"]).name for m in group["members"]}


def test_duplicate_groups_and_keepers(photos: Path) -> None:
    found = {frozenset(names(g)): g for g in groups()}
    assert set(found) == {
        frozenset({"a.jpg", "a copy.jpg"}),
        frozenset({"b_original.jpg", "b_small.jpg", "b_reencoded.jpg"}),
        frozenset({"c.jpg", "c_cropped.jpg"}),
        frozenset({"d.jpg", "d_rotated.jpg"}),
    }  # and no group holds e_shot1 with e_shot2, nor any of the others
    a = found[frozenset({"a.jpg", "a copy.jpg"})]
    assert a["kind"] == "exact" and Path(a["keeper"]).name == "a.jpg"  # same size: the oldest
    b = found[frozenset({"b_original.jpg", "b_small.jpg", "b_reencoded.jpg"})]
    assert b["kind"] == "near" and Path(b["keeper"]).name in ("b_original.jpg", "b_reencoded.jpg")
    assert {(m["width"], m["height"]) for m in b["members"]} == {(640, 480), (320, 240)}
    keeper = next(m for m in b["members"] if m["path"] == b["keeper"])
    assert (keeper["width"], keeper["height"]) == (640, 480)
    c = found[frozenset({"c.jpg", "c_cropped.jpg"})]
    assert Path(c["keeper"]).name == "c.jpg"  # the larger picture
    for g in found.values():
        for m in g["members"]:
            assert m["bytes"] == Path(m["path"]).stat().st_size  # and nothing was deleted


def test_exact_only(photos: Path) -> None:
    only = groups("--exact-only")
    assert [names(g) for g in only] == [{"a.jpg", "a copy.jpg"}] and only[0]["kind"] == "exact"


def test_human_output_marks_the_keeper(photos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    res = runner.invoke(app, ["dupes", "-m", "pixel", "--exact-only"])
    assert res.exit_code == 0
    line = next(l for l in res.stdout.splitlines() if "a.jpg" in l and "copy" not in l)
    assert "✓" in line and "deletes nothing" in res.stdout
