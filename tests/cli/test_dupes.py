"""`photofind dupes` on generated photos and the stamps set: copies (resized, re-encoded down to
JPEG q20, re-saved as PNG, cropped 4 % even where that moves the pHash far, stored rotated)
group together; different pictures whose pHashes are close (a region replaced, a person moved
in a burst, dreidels with another letter) do not, unless --loose asks for the global test alone."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from photofind.cli.app import app
from tests.conftest import STAMPS
from tests.helpers.images import library, photo, replace_region, save, scene

runner = CliRunner()
SHAPES = [(25, 30), (60, 60), (80, 25)]
MOVED = [(35, 45), (50, 70), (70, 35)]  # the same scene, the objects moved by 10-15 %
DREIDELS = ["00273", "00275", "00277", "00279", "00281"]  # one drawing, a different letter on each

COPIES = [
    {"a.jpg", "a copy.jpg"},
    {"b_original.jpg", "b_small.jpg", "b_q20.jpg", "b.png"},
    {"c.jpg", "c_cropped.jpg"},
    {"d.jpg", "d_rotated.jpg"},
    {"shirt.jpg", "shirt_cropped.jpg"},
]


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    library(root / "others", 6, start=200, size=(320, 240))
    # A: byte-identical copies; the older one is the keeper
    a = save(scene(1, (320, 240), SHAPES), root / "a" / "a.jpg", quality=92)
    shutil.copy(a, root / "a" / "a copy.jpg")
    os.utime(a, (1_500_000_000, 1_500_000_000))
    # B: the original, resized 50 %, re-encoded at quality 20, re-saved as PNG
    b = photo(2)
    save(b, root / "b" / "b_original.jpg", quality=95)
    save(b.resize((320, 240)), root / "b" / "b_small.jpg", quality=90)
    save(b, root / "b" / "b_q20.jpg", quality=20)
    save(b, root / "b" / "b.png")
    # C: cropped 4 % off each side
    c = photo(3, (400, 300))
    save(c, root / "c" / "c.jpg", quality=92)
    save(c.crop((16, 12, 384, 288)), root / "c" / "c_cropped.jpg", quality=92)
    # D: stored rotated, with the EXIF tag that turns it upright
    d = photo(4, (320, 240))
    save(d, root / "d" / "d.jpg", quality=92)
    exif = Image.Exif()
    exif[0x0112] = 6
    save(d.transpose(Image.Transpose.ROTATE_90), root / "d" / "d_rotated.jpg", quality=92, exif=exif)
    # E: two shots of one scene, things moved far
    save(scene(5, (320, 240), SHAPES), root / "e" / "e_shot1.jpg", quality=92)
    save(scene(5, (320, 240), MOVED), root / "e" / "e_shot2.jpg", quality=92)
    # F: one frame, and the same frame with 3 %, 5 % or 8 % of it replaced by other content
    f, other = photo(6), photo(7)
    save(f, root / "f" / "f.jpg", quality=92)
    for area in (3, 5, 8):
        save(replace_region(f, other, area / 100, area), root / "f" / f"f_{area}pc_replaced.jpg", quality=92)
    # G: two frames of a burst, a person moved by 4 % of the width
    save(photo(8, person=(0.40, 0.6)), root / "g" / "g_frame1.jpg", quality=92)
    save(photo(8, person=(0.44, 0.6)), root / "g" / "g_frame2.jpg", quality=92)
    # I: a stamp cropped 4 % a side: its pHash moves 26 bits, its inner pHash matches the crop's
    shirt = Image.open(STAMPS / "train" / "clothes" / "00110.jpg").convert("RGB")
    save(shirt, root / "i" / "shirt.jpg", quality=95)
    w, h = shirt.size
    box = (round(w * 0.04), round(h * 0.04), w - round(w * 0.04), h - round(h * 0.04))
    save(shirt.crop(box), root / "i" / "shirt_cropped.jpg", quality=95)
    # H: the stamps set's dreidels
    for name in DREIDELS:
        save(Image.open(STAMPS / "train" / "seasonal_hanukkah" / f"{name}.jpg"), root / "h" / f"{name}.jpg", quality=95)
    res = runner.invoke(app, ["index", str(root), "-m", "pixel"])
    assert res.exit_code == 0, res.output
    return root


def groups(*args: str) -> list[dict]:
    res = runner.invoke(app, ["dupes", "-m", "pixel", "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["groups"]


def names(group: dict) -> set[str]:
    return {Path(m["path"]).name for m in group["members"]}


def test_copies_group_and_different_pictures_do_not(photos: Path) -> None:
    found = {frozenset(names(g)): g for g in groups()}
    assert set(found) == {frozenset(c) for c in COPIES}  # nothing of E, F, G or H
    a = found[frozenset(COPIES[0])]
    assert (a["kind"], a["how"], a["why"]) == ("exact", "exact", "identical bytes")
    assert Path(a["keeper"]).name == "a.jpg"  # same size: the oldest
    for copies in COPIES[1:]:
        g = found[frozenset(copies)]
        assert (g["kind"], g["how"]) == ("near", "verified")
        assert 0 <= g["phash_bits"] <= 12 and 0 <= g["tile_diff"] <= 7
        assert g["why"] == f"same picture: pHash {g['phash_bits']} bits, largest tile difference {g['tile_diff']:.1f} %"
    b = found[frozenset(COPIES[1])]
    keeper = next(m for m in b["members"] if m["path"] == b["keeper"])
    assert (keeper["width"], keeper["height"]) == (640, 480)
    assert {(m["width"], m["height"]) for m in b["members"]} == {(640, 480), (320, 240)}
    assert Path(found[frozenset(COPIES[2])]["keeper"]).name == "c.jpg"  # the larger picture
    for g in found.values():
        for m in g["members"]:
            assert m["bytes"] == Path(m["path"]).stat().st_size  # and nothing was deleted


def test_loose_is_the_global_test_alone(photos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loose = groups("--loose")
    merged = set().union(*(names(g) for g in loose))
    assert {f"{n}.jpg" for n in DREIDELS} & merged  # pHash alone cannot tell one letter from another
    assert all(g["how"] == "loose" and g["tile_diff"] is None for g in loose if g["kind"] == "near")
    monkeypatch.setenv("COLUMNS", "200")
    res = runner.invoke(app, ["dupes", "-m", "pixel", "--loose"])
    assert res.exit_code == 0 and "not verified tile by tile" in res.stdout


def test_exact_only(photos: Path) -> None:
    only = groups("--exact-only")
    assert [names(g) for g in only] == [COPIES[0]] and only[0]["kind"] == "exact"


def test_human_output_marks_the_keeper_and_says_why(photos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    res = runner.invoke(app, ["dupes", "-m", "pixel"])
    assert res.exit_code == 0
    line = next(l for l in res.stdout.splitlines() if "a.jpg" in l and "copy" not in l)
    assert "✓" in line and "`dupes --trash` moves all but the keeper" in res.stdout
    assert "identical bytes" in res.stdout and "same picture: pHash" in res.stdout


def test_store_from_before_fingerprints(photos: Path, isolated_home: Path) -> None:
    """A schema-1 catalog (no fingerprints, no vector mirror): dupes computes them from the files once."""
    db = sqlite3.connect(isolated_home / "catalog.sqlite")
    db.execute("DROP TABLE fingerprints")
    db.execute("DROP TABLE vectors")
    db.execute("DROP INDEX files_status")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    only = groups("--exact-only")  # fills in the fingerprints of the exact group alone
    assert [names(g) for g in only] == [COPIES[0]] and only[0]["members"][0]["width"] == 320
    assert db.execute("SELECT COUNT(*) FROM fingerprints").fetchone()[0] == 1
    assert {frozenset(names(g)) for g in groups()} == {frozenset(c) for c in COPIES}
    unique = db.execute("SELECT COUNT(DISTINCT hash) FROM files").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM fingerprints").fetchone()[0] == unique
    db.close()


def test_fingerprints_leave_with_their_content(photos: Path, isolated_home: Path) -> None:
    db = sqlite3.connect(isolated_home / "catalog.sqlite")
    (gone,) = db.execute("SELECT hash FROM files WHERE path LIKE '%/c_cropped.jpg'").fetchone()
    assert db.execute("SELECT COUNT(*) FROM fingerprints WHERE hash = ?", (gone,)).fetchone()[0] == 1
    (photos / "c" / "c_cropped.jpg").unlink()
    (photos / "a" / "a copy.jpg").unlink()  # its content stays: a.jpg holds it
    assert runner.invoke(app, ["index", str(photos), "-m", "pixel"]).exit_code == 0
    assert db.execute("SELECT COUNT(*) FROM fingerprints WHERE hash = ?", (gone,)).fetchone()[0] == 0
    unique = db.execute("SELECT COUNT(DISTINCT hash) FROM files").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM fingerprints").fetchone()[0] == unique
    db.close()
