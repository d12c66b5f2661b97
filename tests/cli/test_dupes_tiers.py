"""`photofind dupes` sees colour and forgives tone, and says each group's tier: real files,
indexed with the pixel model into a real catalog and Chroma, generated photos only.

Must group as the same picture: a copy brightened x1.3 with contrast x0.85 (the old grey test
grouped a third of those), a white-balanced copy. Must not: the same frame with its colours turned
(same grey thumbnail), a plain gradient in other colours, a monochrome conversion, a caption box,
5 % of the frame replaced, two real dreidel stamps one letter apart. With --edits the caption and
the monochrome copies (of a generated photo and of a stamp whose colour is faint) come back as
edited versions, each saying what differs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

import sqlite3

from photofind.cli.app import app
from photofind.dupes.report import DupesReport
from tests.conftest import STAMPS
from tests.helpers.images import caption, photo, plain, recolour, replace_region, save, tone_edit

runner = CliRunner()

SAME = [
    {"t.jpg", "t_brighter.jpg"},
    {"w.jpg", "w_balanced.jpg"},
    {"k.jpg", "k_darker_gamma.jpg"},
    {"p.jpg", "p_small.jpg"},  # a plain picture: its pHash is noise, its colour layout is not
]
EDITED = {
    frozenset({"m.jpg", "m_mono.jpg"}): "monochrome or sepia version",
    frozenset({"c.jpg", "c_caption.jpg"}): "caption or local edit",
    frozenset({"f.jpg", "f_mono.jpg"}): "monochrome or sepia version",
}
NOT_SAME = {"r_other_colours.jpg", "p_other_colours.jpg", "m_mono.jpg", "c_caption.jpg", "n_5pc.jpg", "f_mono.jpg",
            "d_other_letter.jpg"}


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    a = save(photo(30, (320, 240)), root / "a.jpg", quality=92)
    shutil.copy(a, root / "a_copy.jpg")
    t = photo(31)
    save(t, root / "t.jpg", quality=92)
    save(tone_edit(t, brightness=1.3, contrast=0.85), root / "t_brighter.jpg", quality=92)
    w = photo(32)
    save(w, root / "w.jpg", quality=92)
    save(tone_edit(w, balance=(1.1, 1.0, 0.88)), root / "w_balanced.jpg", quality=92)
    k = photo(33)
    save(k, root / "k.jpg", quality=92)
    save(tone_edit(k, brightness=0.85, gamma=1.2), root / "k_darker_gamma.jpg", quality=92)
    # colour alone differs: the grey thumbnails agree
    r = photo(34)
    save(r, root / "r.jpg", quality=92)
    save(recolour(r, 0.35), root / "r_other_colours.jpg", quality=92)
    p = plain(35, (320, 240))
    save(p, root / "p.jpg", quality=92)
    save(recolour(p, 0.4), root / "p_other_colours.jpg", quality=92)
    save(p.resize((160, 120)), root / "p_small.jpg", quality=85)
    save(plain(40, (320, 240)), root / "q.jpg", quality=92)  # another plain picture
    # edited versions
    m = photo(36)
    save(m, root / "m.jpg", quality=92)
    save(m.convert("L").convert("RGB"), root / "m_mono.jpg", quality=92)
    c = photo(37)
    save(c, root / "c.jpg", quality=92)
    save(caption(c, 0.05), root / "c_caption.jpg", quality=92)
    # a near miss: 5 % of the frame replaced
    n = photo(38)
    save(n, root / "n.jpg", quality=92)
    save(replace_region(n, photo(39), 0.05, 5), root / "n_5pc.jpg", quality=92)
    # real stamps: a faint colour drawing and its grey copy; two dreidels one letter apart
    f = Image.open(STAMPS / "test/household_tools/00185.jpg").convert("RGB")
    save(f, root / "f.jpg", quality=92)
    save(f.convert("L").convert("RGB"), root / "f_mono.jpg", quality=92)
    shutil.copy(STAMPS / "train/seasonal_hanukkah/00274.jpg", root / "d.jpg")
    shutil.copy(STAMPS / "test/seasonal_hanukkah/00278.jpg", root / "d_other_letter.jpg")
    res = runner.invoke(app, ["index", str(root), "-m", "pixel"])
    assert res.exit_code == 0, res.output
    return root


def groups(*args: str) -> list[dict]:
    res = runner.invoke(app, ["dupes", "-m", "pixel", "--json", *args])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["groups"]


def names(group: dict) -> frozenset[str]:
    return frozenset(Path(m["path"]).name for m in group["members"])


def test_colour_and_tone(photos: Path) -> None:
    found = {names(g): g for g in groups()}
    assert set(found) == {frozenset({"a.jpg", "a_copy.jpg"})} | {frozenset(s) for s in SAME}
    assert found[frozenset({"a.jpg", "a_copy.jpg"})]["tier"] == "identical"
    for s in SAME:
        g = found[frozenset(s)]
        assert (g["tier"], g["trashable"]) == ("same", True)
        assert g["why"].startswith("same picture")


def test_edits_are_their_own_tier_and_say_what_differs(photos: Path) -> None:
    found = {names(g): g for g in groups("--edits")}
    for pair, what in EDITED.items():
        g = found[pair]
        assert (g["tier"], g["trashable"]) == ("edited", False)
        assert what in g["edit"] and what in g["why"]
    share = float(found[frozenset({"c.jpg", "c_caption.jpg"})]["edit"].split(": ")[1].split(" %")[0])
    assert 2 <= share <= 12  # the box is 5 % of the frame
    for g in found.values():  # never "the same picture" for colour-only changes or the near miss
        if g["tier"] in ("identical", "same"):
            assert not names(g) & NOT_SAME
    assert not any(names(g) & {"r_other_colours.jpg", "p_other_colours.jpg"} for g in found.values())
    # the same-picture groups are the same as without --edits
    assert {k for k, g in found.items() if g["tier"] != "edited"} == {names(g) for g in groups()}


def test_tiers_survive_the_json_round_trip_and_the_table_says_them(photos: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    res = runner.invoke(app, ["dupes", "-m", "pixel", "--json", "--edits"])
    report = DupesReport.from_json(json.loads(res.stdout))
    assert {g.tier for g in report.groups} == {"identical", "same", "edited"}
    assert DupesReport.from_json(report.to_json()) == report
    assert [g.trashable for g in report.groups] == [g.tier != "edited" for g in report.groups]
    monkeypatch.setenv("COLUMNS", "200")
    out = runner.invoke(app, ["dupes", "-m", "pixel", "--edits"]).stdout
    assert "[IDENTICAL]" in out and "[SAME PICTURE]" in out and "[EDITED VERSIONS]" in out
    assert "caption or local edit" in out and "monochrome or sepia version" in out


def test_a_store_from_before_colour_is_refilled(photos: Path, isolated_home: Path) -> None:
    """Schema 4 (fingerprints without colour; 6 adds it): the migration adds the column, dupes refills every
    fingerprint from its file, and colour counts again."""
    db = sqlite3.connect(isolated_home / "catalog.sqlite")
    db.executescript("""
        CREATE TABLE old (hash TEXT PRIMARY KEY, phash TEXT NOT NULL, width INTEGER NOT NULL,
                          height INTEGER NOT NULL, taken TEXT, thumb BLOB NOT NULL, inner TEXT NOT NULL);
        INSERT INTO old SELECT hash, phash, width, height, taken, thumb, inner FROM fingerprints;
        DROP TABLE fingerprints;
        ALTER TABLE old RENAME TO fingerprints;
        PRAGMA user_version = 4;
    """)
    db.commit()
    found = {names(g) for g in groups()}
    assert db.execute("PRAGMA user_version").fetchone()[0] == 6
    assert db.execute("SELECT COUNT(*) FROM fingerprints WHERE colour IS NULL").fetchone()[0] == 0
    assert frozenset({"r.jpg", "r_other_colours.jpg"}) not in found and frozenset(SAME[0]) in found
    db.close()
