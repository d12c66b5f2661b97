"""search by words, the filters, the HTML gallery and terminal previews, through the real CLI."""

from __future__ import annotations

import base64
import io
import json
import os
import re
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from photofind.cli.app import app
from photofind.cli.preview import choose_renderer
from tests.helpers.images import library, save, scene

runner = CliRunner()


def ok(*args: str) -> dict:
    res = runner.invoke(app, list(args), catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout) if "--json" in args else {"stdout": res.stdout}


def err(*args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 2, res.output
    return res.stderr


@pytest.mark.slow
def test_text_search_through_a_tiny_clip(tmp_path: Path, tiny_clip_env: dict[str, str]) -> None:
    root = tmp_path / "photos"
    library(root, 8)
    ok("index", str(root))
    data = ok("search", "a red circle on a green field", "-k", "5", "--json")
    assert data["query_is_text"] is True and data["query"] == "a red circle on a green field"
    assert data["model"].startswith("clip-pf-tiny-clip")
    assert len(data["matches"]) == 5
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=True)

    # text and image vectors live in one space: same dimension, same collection
    from photofind.config import load
    from photofind.embedders import create_embedder
    from photofind.store.store import Store

    settings = load()
    emb = create_embedder(settings.model)
    with Store(settings.store.data_dir, "check") as store:
        vectors = store.vectors(emb.id, "cosine")
        ids = vectors.ids()
        one = next(iter(vectors.get([next(iter(ids))]).values()))[0]
    assert emb.embed_texts(["x"]).shape[1] == one.shape[0] == 32
    assert {m["hash"] for m in data["matches"]} <= ids
    text_vec = emb.embed_texts(["a red circle on a green field"])[0]
    best = max(ids, key=lambda h: float(vectors.get([h])[h][0] @ text_vec))
    assert data["matches"][0]["hash"] == best  # the ranking is the text vector's, over image vectors


def test_search_with_a_model_without_text_tower(tmp_path: Path) -> None:
    library(tmp_path / "p", 2)
    ok("index", str(tmp_path / "p"), "-m", "pixel")
    assert "has no text tower" in err("search", "a dog", "-m", "pixel") and "clip" in err("search", "a dog", "-m", "pixel")


def dated(path: Path, seed: int, when: str | None, mtime: str | None = None) -> Path:
    exif = Image.Exif()
    if when:
        exif.get_ifd(0x8769)[0x9003] = when
    save(scene(seed), path, exif=exif, quality=92)
    if mtime:
        t = datetime.fromisoformat(mtime).timestamp()
        os.utime(path, (t, t))
    return path


@pytest.fixture
def dated_library(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    dated(root / "album" / "newyear.jpg", 1, "2023:01:01 00:00:00")
    dated(root / "album" / "lastsecond.jpg", 2, "2023:06:30 23:59:59")
    dated(root / "album2" / "firstsecond.jpg", 3, "2023:07:01 00:00:00")
    dated(root / "old" / "no_exif.jpg", 4, None, mtime="2022-05-05T12:00:00")
    query = dated(tmp_path / "query.jpg", 5, None)
    ok("index", str(root), "-m", "pixel")
    return query


def names(data: dict) -> list[str]:
    return sorted(Path(m["path"]).name for m in data["matches"])


def test_date_filters_are_inclusive_and_fall_back_to_file_time(dated_library: Path) -> None:
    q = str(dated_library)
    assert names(ok("like", q, "-m", "pixel", "--json", "--since", "2023-06-30", "--until", "2023-06-30")) == ["lastsecond.jpg"]
    assert names(ok("like", q, "-m", "pixel", "--json", "--since", "2023-07-01")) == ["firstsecond.jpg"]
    assert names(ok("like", q, "-m", "pixel", "--json", "--since", "2023-06-30T23:59:59", "--until", "2023-07-01T00:00:00")) == [
        "firstsecond.jpg", "lastsecond.jpg"]
    data = ok("like", q, "-m", "pixel", "--json", "--until", "2022-12-31")
    assert names(data) == ["no_exif.jpg"] and data["matches"][0]["taken_from"] == "mtime"
    assert data["matches"][0]["taken"] == "2022-05-05T12:00:00"


def test_folder_filter_does_not_match_a_sibling_with_the_same_prefix(dated_library: Path) -> None:
    folder = dated_library.parent / "photos" / "album"
    assert names(ok("like", str(dated_library), "-m", "pixel", "--json", "--in", str(folder))) == [
        "lastsecond.jpg", "newyear.jpg"]


@pytest.mark.parametrize("metric", ["cosine", "l2"])
def test_min_score_boundary_is_inclusive_in_the_metrics_direction(dated_library: Path, metric: str) -> None:
    q = str(dated_library)
    full = ok("like", q, "-m", "pixel", "--json", "--metric", metric)
    third = full["matches"][2]["score"]
    cut = ok("like", q, "-m", "pixel", "--json", "--metric", metric, "--min-score", repr(third))
    assert [m["path"] for m in cut["matches"]] == [m["path"] for m in full["matches"][:3]]


def test_bad_filters_are_one_line_errors(dated_library: Path, tmp_path: Path) -> None:
    q = str(dated_library)
    assert "is not a date" in err("like", q, "-m", "pixel", "--since", "last tuesday")
    assert "is after" in err("like", q, "-m", "pixel", "--since", "2024-01-01", "--until", "2023-01-01")
    assert "no such folder" in err("like", q, "-m", "pixel", "--in", str(tmp_path / "nope"))


def test_html_gallery_is_self_contained_and_links_originals(dated_library: Path, tmp_path: Path) -> None:
    out = tmp_path / "g" / "gallery.html"
    data = ok("like", str(dated_library), "-m", "pixel", "-k", "3", "--json", "--html", str(out))
    page = out.read_text()
    assert page.count("<figure") == 4  # the query and 3 results
    assert page.count('src="data:image/jpeg;base64,') == 4  # thumbnails inside the page
    for m in data["matches"]:
        assert f'href="file://{m["path"]}"' in page and f'{m["score"]:.4f}' in page
    assert "http" not in page  # nothing fetched from anywhere
    thumbs = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', page)
    first = Image.open(io.BytesIO(base64.b64decode(thumbs[1]))).convert("RGB")
    source = Image.open(data["matches"][0]["path"]).convert("RGB").resize(first.size)
    assert np.abs(np.asarray(first, dtype=int) - np.asarray(source, dtype=int)).mean() < 10
    assert "HTML" in err("like", str(dated_library), "-m", "pixel", "--html", str(tmp_path / "x.png"))


def test_preview_renderer_choice() -> None:
    from textual_image.renderable import HalfcellImage, SixelImage, TGPImage

    assert choose_renderer(False) is None
    assert choose_renderer(True, sixel=lambda: False, kitty=lambda: False) is HalfcellImage
    assert choose_renderer(True, sixel=lambda: True, kitty=lambda: False) is SixelImage
    assert choose_renderer(True, sixel=lambda: False, kitty=lambda: True) is TGPImage


def test_preview_prints_nothing_when_not_a_terminal(dated_library: Path) -> None:
    plain = ok("like", str(dated_library), "-m", "pixel", "-k", "2")["stdout"]
    with_preview = ok("like", str(dated_library), "-m", "pixel", "-k", "2", "--preview")["stdout"]
    assert with_preview == plain
    assert "\x1b" not in with_preview and "▀" not in with_preview and "▄" not in with_preview


@pytest.mark.slow
def test_preview_in_a_real_terminal_falls_back_to_half_blocks(dated_library: Path) -> None:
    """A pseudo-terminal that never answers textual-image's Sixel/Kitty queries: the preview
    must fall back to half-block characters, sized to the terminal."""
    import os
    import sys

    from tests.helpers.terminals import run_in_pty

    text = run_in_pty([sys.executable, "-m", "photofind", "like", str(dated_library), "-m", "pixel", "-k", "2",
                       "--preview"], os.environ.copy(), columns=100, lines=50, cell=(0, 0), answers="", timeout=60)
    assert "▀" in text or "▄" in text  # half-block thumbnails were drawn
    # strip OSC (links), APC (terminal queries) and CSI (colours) escapes, then measure
    visible = [re.sub(r"\x1b[\]_][^\x1b]*\x1b\\|\x1b\[[0-9;?]*[A-Za-z]", "", line) for line in text.splitlines()]
    assert max(len(line) for line in visible) <= 100, [repr(l) for l in visible if len(l) > 100][:1]
    assert "Failed to get cell size" not in text  # textual-image's guesswork is not the user's business
