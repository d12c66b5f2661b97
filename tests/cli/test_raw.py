"""RAW photos through the real `photofind` command in subprocesses, on real DNG files
(tests/helpers/raw_files.py) decoded by the real LibRaw."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from photofind.media.raw import RAW_EXTRA_MISSING
from photofind.scanner import RAW_TWIN
from tests.helpers.images import library, photo, save
from tests.helpers.raw_files import write_dng

pytest.importorskip("rawpy", reason="the raw extra (rawpy) is part of the test dependencies")
pytestmark = pytest.mark.slow


def photofind(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "photofind", "--no-server", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "COLUMNS": "250", **(env or {})})


def without_rawpy(tmp_path: Path) -> dict[str, str]:
    """An environment in which `import rawpy` fails for real, as with the extra not installed:
    a sitecustomize.py first on PYTHONPATH puts None in sys.modules["rawpy"], which makes the
    import raise ImportError, while rawpy stays installed for the other tests."""
    shim = tmp_path / "no-rawpy"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text('import sys\nsys.modules["rawpy"] = None\n')
    return {"PYTHONPATH": os.pathsep.join([str(shim), *filter(None, [os.environ.get("PYTHONPATH")])])}


def status(env: dict[str, str] | None = None) -> dict:
    res = photofind("status", "-m", "pixel", "--json", env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Two plain photos; a DNG with a full-size preview (scene 101), one with no preview whose
    RAW data must be developed (scene 102); a DNG with a JPEG of the same name (its twin); and
    a damaged DNG."""
    root = tmp_path / "photos"
    library(root, 2)
    write_dng(root / "previewed.dng", photo(101), photo(101))
    write_dng(root / "developed.dng", photo(102))
    write_dng(root / "IMG_7.dng", photo(103), photo(103))
    save(photo(103), root / "IMG_7.JPG", quality=90)
    (root / "damaged.dng").write_bytes(os.urandom(30_000))
    return root


def test_index_then_like_finds_the_dng_on_both_paths(folder: Path, tmp_path: Path) -> None:
    res = photofind("index", str(folder), "-m", "pixel")
    assert res.returncode == 0, res.stderr
    assert f"skipping {folder / 'IMG_7.dng'}: {RAW_TWIN}" in res.stdout
    assert f"skipping {folder / 'damaged.dng'}: corrupt or unreadable RAW photo (" in res.stdout
    assert "5 embedded" in res.stdout and "2 skipped" in res.stdout  # 2 JPEGs, IMG_7.JPG, 2 DNGs

    # JPEG exports of the two scenes, from outside the index, find their RAW file first
    for seed, name in ((101, "previewed.dng"), (102, "developed.dng")):
        query = save(photo(seed), tmp_path / "queries" / f"{seed}.jpg", quality=85)
        res = photofind("like", str(query), "-m", "pixel", "-k", "3", "--json")
        assert res.returncode == 0, res.stderr
        best = json.loads(res.stdout)["matches"][0]
        assert best["path"] == str(folder / name)
        assert (best["width"], best["height"]) == (640, 480)
        assert (best["taken"], best["taken_from"]) == ("2024-05-06T07:08:09", "exif")  # the RAW's own date
    res = photofind("like", str(folder / "developed.dng"), "-m", "pixel", "-k", "1", "--json")
    assert json.loads(res.stdout)["query_was_indexed"] is True

    s = status()
    assert s["skipped"][RAW_TWIN] == 1
    assert [r for r, n in s["skipped"].items() if r.startswith("corrupt or unreadable RAW photo")]
    # the twin's JPEG deleted: the next run indexes the RAW file, although it did not change
    (folder / "IMG_7.JPG").unlink()
    res = photofind("index", str(folder), "-m", "pixel")
    assert "1 embedded" in res.stdout and "1 removed" in res.stdout, res.stdout
    assert RAW_TWIN not in status()["skipped"]


def test_without_the_extra_raw_files_are_skipped_saying_so_and_read_once_it_is_installed(folder: Path, tmp_path: Path) -> None:
    env = without_rawpy(tmp_path)
    check = subprocess.run([sys.executable, "-c", "import rawpy"], capture_output=True, text=True, env={**os.environ, **env})
    assert check.returncode == 1 and "ModuleNotFoundError" in check.stderr  # as when it is not installed
    res = photofind("index", str(folder), "-m", "pixel", env=env)
    assert res.returncode == 0, res.stderr
    for name in ("previewed.dng", "developed.dng", "damaged.dng"):
        assert f"skipping {folder / name}: {RAW_EXTRA_MISSING}" in res.stdout
    assert f"skipping {folder / 'IMG_7.dng'}: {RAW_TWIN}" in res.stdout  # decided without reading it
    assert "3 embedded" in res.stdout and "Traceback" not in res.stderr
    assert status(env)["skipped"][RAW_EXTRA_MISSING] == 3
    table = photofind("status", "-m", "pixel", env=env).stdout
    assert RAW_EXTRA_MISSING in table and RAW_TWIN in table  # the brackets of photofind[raw] survive Rich
    like = photofind("like", str(folder / "previewed.dng"), "-m", "pixel", env=env)
    assert like.returncode == 2 and RAW_EXTRA_MISSING in like.stderr and len(like.stderr.strip().splitlines()) == 1

    # rawpy importable again: the same files, unchanged on disk, are read this time
    res = photofind("index", str(folder), "-m", "pixel")
    assert "2 embedded" in res.stdout and "1 skipped" in res.stdout, res.stdout
    assert RAW_EXTRA_MISSING not in status()["skipped"]


def test_the_watcher_applies_the_twin_rule_as_the_jpeg_comes_and_goes(tmp_path: Path, isolated_home: Path) -> None:
    """A running `photofind watch`: a JPEG saved beside an indexed RAW file turns the RAW file
    into a skipped twin (its vector collected); deleting the JPEG brings the RAW file back."""
    from tests.helpers.processes import Watch
    from tests.helpers.waiting import wait_until

    root = tmp_path / "photos"
    write_dng(root / "IMG_1.dng", photo(101), photo(101))
    w = Watch(isolated_home, root, tmp_path / "watch.log")
    try:
        def state() -> tuple[int, int, int]:
            s = w.status()
            return s["files"], s["skipped"].get(RAW_TWIN, 0), s["collections"][0]["vectors"] if s["collections"] else 0

        wait_until(lambda: state() == (1, 0, 1), what="the RAW file indexed")
        save(photo(101), root / "IMG_1.jpg", quality=90)
        wait_until(lambda: state() == (1, 1, 1), what="the JPEG indexed, the RAW file skipped as its twin")
        (root / "IMG_1.jpg").unlink()
        wait_until(lambda: state() == (1, 0, 1), what="the RAW file indexed again")
    finally:
        assert w.stop() == 0
    from photofind.store.store import Store

    with Store(isolated_home, "check") as store:
        assert [r.path for r in store.catalog.iter_ok()] == [str(root / "IMG_1.dng")]
