"""Combined queries (several examples, --not, weights, words with a photo) and --paths, through
the real CLI on a real Chroma store. Each expected ranking is computed here, with numpy, from
the vectors the store holds: q = Σ w·v / |Σ w·v|, then every stored photo scored against q."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from photofind.cli.app import app
from photofind.store.store import Store
from tests.helpers.images import library, save, scene

runner = CliRunner()
HIGHER = {"cosine": True, "corr": True, "l1": False, "l2": False}


def ok(*args: str) -> dict:
    res = runner.invoke(app, ["--no-server", *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def one_line_error(*args: str) -> str:
    res = runner.invoke(app, ["--no-server", *args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("photofind: "), res.stderr
    return lines[0]


@pytest.fixture
def photos(tmp_path: Path) -> dict[str, Path]:
    """Ten distinct scenes, plus near copies of two of them (re-encoded: other bytes, almost the
    same pixels), indexed with the pixel model."""
    root = tmp_path / "my photos"
    files = {f"p{i}": f for i, f in enumerate(library(root, 10))}
    files["near0"] = save(scene(0), root / "near 0:copy.jpg", quality=40)
    files["near1"] = save(scene(1), root / "near1.jpg", quality=40)
    res = runner.invoke(app, ["--no-server", "index", str(root), "-m", "pixel", "-q"])
    assert res.exit_code == 0, res.output
    return files


def stored(home: Path, files: dict[str, Path], embedder_id: str = "pixel-32") -> dict[str, np.ndarray]:
    """Each file's vector as the store holds it (by the SHA-256 of its bytes)."""
    digests = {name: hashlib.sha256(p.read_bytes()).hexdigest() for name, p in files.items()}
    with Store(home, "check") as store:
        got = store.vectors(embedder_id, "cosine").get(sorted(set(digests.values())))
    return {name: got[d][0].astype(np.float64) for name, d in digests.items()}


def score(metric: str, q: np.ndarray, x: np.ndarray) -> float:
    """The README's four metrics, written out here."""
    if metric == "cosine":
        return float(q @ x / (np.linalg.norm(q) * np.linalg.norm(x)))
    if metric == "corr":
        qc, xc = q - q.mean(), x - x.mean()
        return float(qc @ xc / (np.linalg.norm(qc) * np.linalg.norm(xc)))
    if metric == "l2":
        return float(np.mean((q - x) ** 2))
    return float(np.abs(q - x).sum())


def expected(vecs: dict[str, np.ndarray], weights: dict[str, float], metric: str = "cosine",
             words: np.ndarray | None = None) -> list[tuple[str, float]]:
    """Every photo but the query's own, ranked against the weighted, renormalised sum."""
    total = sum(w * vecs[name] for name, w in weights.items()) + (0 if words is None else words)
    q = total / np.linalg.norm(total)
    ranked = [(name, score(metric, q, v)) for name, v in vecs.items() if name not in weights]
    return sorted(ranked, key=lambda t: -t[1] if HIGHER[metric] else t[1])


def got(data: dict, files: dict[str, Path]) -> list[tuple[str, float]]:
    names = {str(p): name for name, p in files.items()}
    return [(names[m["path"]], m["score"]) for m in data["matches"]]


def assert_same_ranking(actual: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert [n for n, _ in actual] == [n for n, _ in want]
    assert [s for _, s in actual] == pytest.approx([s for _, s in want], rel=1e-4, abs=1e-6)


@pytest.mark.parametrize("metric", ["cosine", "l2", "l1", "corr"])
def test_the_combined_vector_ranks_as_defined(photos: dict[str, Path], isolated_home: Path, metric: str) -> None:
    p = photos
    data = ok("like", str(p["p2"]), f"2:{p['p3']}", "--not", str(p["p4"]), "--not", f"0.5:{p['p5']}",
              "-k", "20", "--metric", metric, "--json", "-m", "pixel")
    vecs = stored(isolated_home, p)
    assert_same_ranking(got(data, p), expected(vecs, {"p2": 1, "p3": 2, "p4": -1, "p5": -0.5}, metric))
    assert data["parts"] == [
        {"kind": "image", "value": str(p["p2"]), "weight": 1.0, "was_indexed": True},
        {"kind": "image", "value": str(p["p3"]), "weight": 2.0, "was_indexed": True},
        {"kind": "image", "value": str(p["p4"]), "weight": -1.0, "was_indexed": True},
        {"kind": "image", "value": str(p["p5"]), "weight": -0.5, "was_indexed": True},
    ]
    assert data["query_was_indexed"] is True and data["exact"] is (metric in ("l1", "corr"))


def test_an_image_not_indexed_is_embedded_and_the_title_says_what_was_asked(
        photos: dict[str, Path], isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = save(scene(77), tmp_path / "elsewhere" / "new.png")
    data = ok("like", str(photos["p1"]), str(outside), "-k", "20", "--json", "-m", "pixel")
    assert [part["was_indexed"] for part in data["parts"]] == [True, False] and data["query_was_indexed"] is False
    # the outside photo's vector, as the model makes it (indexed in a second store of its own)
    res = runner.invoke(app, ["--no-server", "--data-dir", str(tmp_path / "other"), "index", str(outside.parent),
                              "-m", "pixel", "-q"])
    assert res.exit_code == 0, res.output
    vecs = {**stored(isolated_home, photos), **stored(tmp_path / "other", {"new": outside})}
    want = [(n, s) for n, s in expected(vecs, {"p1": 1, "new": 1}) if n != "new"]
    assert_same_ranking(got(data, photos), want)

    monkeypatch.setenv("COLUMNS", "300")
    table = runner.invoke(app, ["--no-server", "like", str(photos["p1"]), f"2:{photos['p2']}", "--not",
                                str(photos["p3"]), "-k", "2", "-m", "pixel"]).stdout
    assert "Most like photo_0001.jpg + 2×photo_0002.jpg − photo_0003.jpg" in table


def test_not_pushes_a_photo_down(photos: dict[str, Path]) -> None:
    """Steering away from p0 sends its near copy from the top to the bottom; p0's own file is
    never listed."""
    plain = [m["path"] for m in ok("like", str(photos["p0"]), "-k", "20", "--json", "-m", "pixel")["matches"]]
    assert plain[0] == str(photos["near0"])
    mixed = ok("like", str(photos["p6"]), "-k", "20", "--json", "-m", "pixel")["matches"]
    away = ok("like", str(photos["p6"]), "--not", str(photos["p0"]), "-k", "20", "--json", "-m", "pixel")["matches"]
    before = [m["path"] for m in mixed].index(str(photos["near0"]))
    after = [m["path"] for m in away].index(str(photos["near0"]))
    assert after > before and after == len(away) - 1, (before, after)
    assert str(photos["p0"]) not in {m["path"] for m in away}


def test_weights_change_the_order_as_defined(photos: dict[str, Path], isolated_home: Path) -> None:
    """3:p0 p1 is led by p0's near copy, p0 3:p1 by p1's; both rankings are the formula's."""
    vecs = stored(isolated_home, photos)
    heavy0 = ok("like", f"3:{photos['p0']}", str(photos["p1"]), "-k", "20", "--json", "-m", "pixel")
    heavy1 = ok("like", str(photos["p0"]), f"3:{photos['p1']}", "-k", "20", "--json", "-m", "pixel")
    assert got(heavy0, photos)[0][0] == "near0" and got(heavy1, photos)[0][0] == "near1"
    assert_same_ranking(got(heavy0, photos), expected(vecs, {"p0": 3, "p1": 1}))
    assert_same_ranking(got(heavy1, photos), expected(vecs, {"p0": 1, "p1": 3}))
    # only the ratios count: 6:p0 2:p1 is 3:p0 p1
    same = ok("like", f"6:{photos['p0']}", f"2:{photos['p1']}", "-k", "20", "--json", "-m", "pixel")
    assert_same_ranking(got(same, photos), got(heavy0, photos))


def test_bad_weights_and_missing_files_are_one_line(photos: dict[str, Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    a = str(photos["p1"])
    assert "bad weight 0 in 0:" in one_line_error("like", f"0:{a}", "-m", "pixel")
    assert "bad weight 1.2.3" in one_line_error("like", a, f"1.2.3:{a}", "-m", "pixel")
    assert "bad weight -2" in one_line_error("like", a, "--not", f"-2:{a}", "-m", "pixel")
    assert "gives a weight but no image" in one_line_error("like", a, "2:", "-m", "pixel")
    missing = tmp_path / "missing.jpg"
    assert f"{missing} does not exist" in one_line_error("like", a, f"2:{missing}", "-m", "pixel")
    assert f"{missing} does not exist" in one_line_error("like", a, "--not", str(missing), "-m", "pixel")
    assert "cancel out" in one_line_error("like", a, "--not", a, "-m", "pixel")
    assert "does not go with --json" in one_line_error("like", a, "-f", "--json", "-m", "pixel")
    # a file whose name starts with a number and a colon: ./ says "the file"; both existing: an error
    monkeypatch.chdir(photos["p1"].parent)
    save(scene(5), Path("2:photo_0001.jpg"))
    assert "write ./2:photo_0001.jpg for the file" in one_line_error("like", "2:photo_0001.jpg", "-m", "pixel")
    assert ok("like", "./2:photo_0001.jpg", "-k", "1", "--json", "-m", "pixel")["parts"][0]["value"] == str(
        photos["p1"].parent / "2:photo_0001.jpg")


@pytest.mark.slow
def test_words_and_a_photo_together(tmp_path: Path, isolated_home: Path, tiny_clip_env: dict[str, str]) -> None:
    files = {f"p{i}": f for i, f in enumerate(library(tmp_path / "photos", 8))}
    res = runner.invoke(app, ["--no-server", "index", str(tmp_path / "photos"), "-q"])
    assert res.exit_code == 0, res.output
    words = "a red circle on a green field"
    data = ok("search", words, "--like", f"2:{files['p3']}", "--not", str(files["p5"]), "-k", "20", "--json")

    from photofind.config import load
    from photofind.embedders import create_embedder

    embedder = create_embedder(load().model)
    text = embedder.embed_texts([words])[0].astype(np.float64)
    vecs = stored(isolated_home, files, embedder.id)
    assert_same_ranking(got(data, files), expected(vecs, {"p3": 2, "p5": -1}, words=text))
    assert [(p["kind"], p["weight"]) for p in data["parts"]] == [("text", 1.0), ("image", 2.0), ("image", -1.0)]
    assert data["query_is_text"] is True and data["query"] == words


def test_words_with_a_photo_need_a_text_tower(photos: dict[str, Path]) -> None:
    line = one_line_error("search", "a dog", "--like", str(photos["p1"]), "-m", "pixel")
    assert "has no text tower" in line and "clip" in line


@pytest.mark.slow
def test_paths_through_a_pipe_are_the_ranking_one_a_line(photos: dict[str, Path], isolated_home: Path) -> None:
    """A real process writing into a pipe: stdout is exactly the paths, best first, and xargs
    -d '\\n' hands each one (spaces, colons and all) to another program."""
    env = {**os.environ, "PHOTOFIND_MODEL": "pixel", "COLUMNS": "80"}
    cmd = [sys.executable, "-m", "photofind", "--no-server", "like", str(photos["p0"]), "--not",
           str(photos["p7"]), "-k", "5", "-f"]
    res = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    want = [str(photos[name]) for name, _ in expected(stored(isolated_home, photos), {"p0": 1, "p7": -1})[:5]]
    assert res.returncode == 0 and res.stderr == b""
    assert res.stdout == "".join(p + "\n" for p in want).encode()
    assert str(photos["near0"]) == want[0]  # "near 0:copy.jpg": a space and a colon
    piped = subprocess.run(["bash", "-c", 'set -o pipefail; "$@" | xargs -d "\\n" stat -c %n --', "-", *cmd],
                           capture_output=True, env=env, timeout=120)
    assert piped.returncode == 0 and piped.stdout.decode().splitlines() == want, piped.stderr
    head = subprocess.run(["bash", "-c", '"$@" | head -1; echo "${PIPESTATUS[0]}" >&2', "-", *cmd[:-3], "-k", "12",
                           "-f"], capture_output=True, env=env, timeout=120)
    assert head.stdout.decode() == want[0] + "\n"
    assert head.stderr.decode().strip() in ("0", "141"), head.stderr  # quiet either way


def test_grid_and_gallery_show_every_query_image(photos: dict[str, Path], tmp_path: Path) -> None:
    """--grid frames the three query images in red ahead of the k results; --html captions them."""
    from PIL import Image

    from photofind.grid import QUERY_FRAME, layout

    args = [str(photos["p1"]), f"2:{photos['p2']}", "--not", str(photos["p3"]), "-k", "4", "-m", "pixel"]
    res = runner.invoke(app, ["--no-server", "like", *args, "--grid", str(tmp_path / "g.png"),
                              "--html", str(tmp_path / "g.html")])
    assert res.exit_code == 0, res.output
    sheet = Image.open(tmp_path / "g.png").convert("RGB")
    size, boxes = layout(3 + 4)
    assert sheet.size == size
    framed = [sheet.getpixel((left - 2, (top + bottom) // 2)) == QUERY_FRAME for left, top, _, bottom in boxes]
    assert framed == [True, True, True, False, False, False, False]
    page = (tmp_path / "g.html").read_text()
    assert page.count('<figure class="query">') == 3 and "<b>query ×2</b>" in page and "<b>not</b>" in page
    assert "Most like photo_0001.jpg + 2×photo_0002.jpg − photo_0003.jpg" in page
