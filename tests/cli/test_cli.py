"""The real CLI, in process through Typer's runner, on real files and a real store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from photofind.cli.app import app
from photofind.store.lock import StoreLock
from tests.helpers.images import library, save, scene

runner = CliRunner()


def cli(*args: str) -> "object":
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    root = tmp_path / "photos"
    library(root, 10)
    shutil.copy(root / "photo_0004.jpg", root / "copy.jpg")
    (root / "broken.jpg").write_text("oops")
    res = cli("index", str(root), "--model", "pixel")
    assert res.exit_code == 0, res.output
    return root


def test_index_prints_skips_and_summary(indexed: Path) -> None:
    res = cli("index", str(indexed), "--model", "pixel")
    assert res.exit_code == 0
    assert "12 files seen, 12 unchanged; 0 embedded" in res.stdout  # a second run reads nothing


def test_index_reports_skipped_files_with_reasons(tmp_path: Path) -> None:
    root = tmp_path / "p"
    library(root, 2)
    (root / "zero.jpg").write_bytes(b"")
    res = cli("index", str(root), "-m", "pixel")
    assert res.exit_code == 0
    assert f"skipping {root / 'zero.jpg'}: empty file" in res.stdout
    assert "2 embedded" in res.stdout and "1 skipped" in res.stdout


def test_like_json_schema(indexed: Path) -> None:
    res = cli("like", str(indexed / "photo_0004.jpg"), "-m", "pixel", "-k", "3", "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert set(data) == {"query", "model", "metric", "higher_is_better", "exact", "query_was_indexed", "matches",
                         "query_is_text", "parts", "roots", "empty_reason"}
    assert data["roots"] == [str(indexed)]
    assert data["query_is_text"] is False
    assert data["parts"] == [{"kind": "image", "value": str(indexed / "photo_0004.jpg"), "weight": 1.0,
                              "was_indexed": True}]
    assert data["exact"] is False  # cosine comes from the Chroma index
    assert data["model"] == "pixel-32" and data["metric"] == "cosine" and data["query_was_indexed"] is True
    assert len(data["matches"]) == 3
    first = data["matches"][0]
    assert set(first) == {"rank", "path", "score", "hash", "width", "height", "taken", "taken_from"}
    assert first["path"] == str(indexed / "copy.jpg") and first["rank"] == 1
    assert (first["width"], first["height"]) == (160, 120)
    assert first["taken_from"] == "mtime"
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=True)


def test_like_table_lists_results(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # long temp paths would wrap in 80 columns
    res = cli("like", str(indexed / "photo_0004.jpg"), "-m", "pixel", "-k", "2")
    assert res.exit_code == 0
    assert "copy.jpg" in res.stdout and "160×120" in res.stdout


def test_status(indexed: Path) -> None:
    res = cli("status", "-m", "pixel", "--json")
    data = json.loads(res.stdout)
    assert data["roots"] == [str(indexed)]
    assert (data["files"], data["unique_images"]) == (11, 10)
    assert data["skipped"] == {"not a readable image (unknown format)": 1}
    assert data["collections"][0]["vectors"] == 10 and data["collections"][0]["space"] == "cosine"
    assert data["store_bytes"] > 0 and data["last_index"] and data["daemon_pid"] is None
    assert data["runtime"] is None  # the pixel model has no model runtime
    human = cli("status", "-m", "pixel")
    assert "11 indexed, 10 unique images, 1 skipped" in human.stdout


def test_status_counts_from_an_index_and_shortens_a_long_root_list(tmp_path: Path, isolated_home: Path) -> None:
    for i in range(14):
        library(tmp_path / f"album_{i:02d}", 1, start=i)
    assert cli("index", *(str(tmp_path / f"album_{i:02d}") for i in range(14)), "-m", "pixel").exit_code == 0
    human = cli("status", "-m", "pixel").stdout.splitlines()
    roots = human[human.index("roots") + 1:]
    assert [line.strip() for line in roots[:10]] == [str(tmp_path / f"album_{i:02d}") for i in range(10)]
    assert roots[10].strip() == "… 4 more (photofind status --json lists them all)"
    assert len(json.loads(cli("status", "-m", "pixel", "--json").stdout)["roots"]) == 14
    import sqlite3

    db = sqlite3.connect(isolated_home / "catalog.sqlite")  # counts must not scan the table (100,000 rows)
    for sql in ("SELECT COUNT(*), COUNT(DISTINCT hash) FROM files WHERE status = 'ok'",
                "SELECT error, COUNT(*) FROM files WHERE status = 'skipped' GROUP BY error"):
        plan = " ".join(row[-1] for row in db.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "SEARCH files USING" in plan and "INDEX files_status" in plan, plan


def test_status_records_the_model_runtime(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert json.loads(cli("status", "-m", "effnet-lite0", "--json").stdout)["runtime"] == "onnx"  # the default
    monkeypatch.setenv("PHOTOFIND_MODEL_RUNTIME", "torch")
    assert json.loads(cli("status", "-m", "effnet-lite0", "--json").stdout)["runtime"] == "torch"
    assert "effnet-lite0-imagenet (runtime torch)" in cli("status", "-m", "effnet-lite0").stdout


def test_reindex_quiet_prints_nothing_and_sees_deletes(indexed: Path) -> None:
    (indexed / "photo_0001.jpg").unlink()
    res = cli("reindex", "--quiet", "-m", "pixel")
    assert res.exit_code == 0 and res.stdout == ""
    data = json.loads(cli("status", "-m", "pixel", "--json").stdout)
    assert data["files"] == 10


# -- every exit-code-2 path -------------------------------------------------------------------

def expect_error(args: list[str], needle: str) -> None:
    res = cli(*args)
    assert res.exit_code == 2, res.output
    assert needle in res.stderr
    assert "Traceback" not in res.output
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_error_no_index_yet(tmp_path: Path) -> None:
    expect_error(["like", str(save(scene(1), tmp_path / "q.jpg")), "-m", "pixel"], "no index yet")


def test_error_missing_query(indexed: Path) -> None:
    expect_error(["like", str(indexed / "nope.jpg"), "-m", "pixel"], "does not exist")


def test_error_query_not_an_image(indexed: Path, tmp_path: Path) -> None:
    txt = tmp_path / "readme.jpg"
    txt.write_text("hello")
    expect_error(["like", str(txt), "-m", "pixel"], "not a readable image")


def test_error_unknown_model(indexed: Path) -> None:
    expect_error(["like", str(indexed / "photo_0001.jpg"), "-m", "vgg"], "model.name from the command line must be one of clip, clip-multilingual, effnet-lite0, pixel (got 'vgg')")


def test_error_model_with_no_vectors_names_the_one_that_has_them(indexed: Path, tmp_path: Path) -> None:
    expect_error(["like", str(indexed / "photo_0001.jpg"), "-m", "effnet-lite0"], "pixel-32")


def test_error_index_missing_folder_and_file(tmp_path: Path) -> None:
    expect_error(["index", str(tmp_path / "nowhere")], "does not exist")
    expect_error(["index", str(save(scene(1), tmp_path / "one.jpg"))], "is not a folder")


def test_error_reindex_with_nothing_indexed() -> None:
    expect_error(["reindex", "-m", "pixel"], "no folders are indexed yet")


@pytest.mark.slow
def test_error_offline_clip_download(tmp_path: Path) -> None:
    root = tmp_path / "p"
    library(root, 2)
    expect_error(["index", str(root)], "could not download model ViT-B-32/laion2b_s34b_b79k")


def test_error_bad_config(tmp_path: Path) -> None:
    bad = tmp_path / "c.toml"
    bad.write_text('[index]\nspace = "hamming"\n')
    expect_error(["--config", str(bad), "status"], "index.space")


def test_error_store_owned_by_another_process(indexed: Path, isolated_home: Path) -> None:
    lock = StoreLock(isolated_home)
    lock.acquire("watch")
    try:
        res = cli("index", str(indexed), "-m", "pixel")
        assert res.exit_code == 2
        assert "owns this index" in res.stderr and "pid" in res.stderr
    finally:
        lock.release()
    assert cli("index", str(indexed), "-m", "pixel").exit_code == 0


def test_debug_shows_traceback(tmp_path: Path) -> None:
    res = runner.invoke(app, ["--debug", "like", str(tmp_path / "x.jpg"), "-m", "pixel"])
    assert res.exit_code == 2 and "Traceback" in res.stderr


def test_help_and_version() -> None:
    assert cli("--version").stdout.startswith("photofind ")
    assert "like" in cli("--help").stdout


# -- metrics and grids (the tutorial's comparisons) --------------------------------------------

def like_json(*args: str) -> dict:
    res = cli("like", *args, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@pytest.mark.parametrize("metric, exact", [("l2", False), ("l1", True), ("corr", True), ("cosine", False)])
def test_like_metrics_rank_in_their_own_direction(indexed: Path, metric: str, exact: bool) -> None:
    data = like_json(str(indexed / "photo_0004.jpg"), "-m", "pixel", "-k", "5", "--metric", metric)
    assert data["metric"] == metric and data["exact"] is exact
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=data["higher_is_better"])
    assert data["higher_is_better"] is (metric in ("cosine", "corr"))
    assert data["matches"][0]["path"].endswith("copy.jpg")  # the identical copy is best in every metric
    assert scores[0] == pytest.approx(0.0 if metric in ("l1", "l2") else 1.0, abs=1e-5)


def test_exact_cosine_agrees_with_the_index(indexed: Path) -> None:
    q = str(indexed / "photo_0007.jpg")
    approx = like_json(q, "-m", "pixel", "-k", "6")
    exact = like_json(q, "-m", "pixel", "-k", "6", "--exact")
    assert exact["exact"] is True
    assert [m["path"] for m in exact["matches"]] == [m["path"] for m in approx["matches"]]
    for a, b in zip(approx["matches"], exact["matches"]):
        assert a["score"] == pytest.approx(b["score"], abs=1e-4)


def test_error_unknown_metric(indexed: Path) -> None:
    expect_error(["like", str(indexed / "photo_0001.jpg"), "-m", "pixel", "--metric", "hamming"], "unknown metric")


def test_like_grid_png(indexed: Path, tmp_path: Path) -> None:
    from PIL import Image

    from photofind.grid import layout

    out = tmp_path / "sheet.png"
    res = cli("like", str(indexed / "photo_0002.jpg"), "-m", "pixel", "-k", "4", "--grid", str(out))
    assert res.exit_code == 0, res.output
    with Image.open(out) as sheet:
        assert sheet.size == layout(5)[0]
    expect_error(["like", str(indexed / "photo_0002.jpg"), "-m", "pixel", "--grid", str(tmp_path / "x.jpg")], "PNG")


def test_space_change_says_reindex_full(indexed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOTOFIND_INDEX_SPACE", "l2")
    expect_error(["like", str(indexed / "photo_0001.jpg"), "-m", "pixel"], "reindex --full")
    res = cli("reindex", "--full", "-m", "pixel", "-q")
    assert res.exit_code == 0
    data = like_json(str(indexed / "photo_0004.jpg"), "-m", "pixel", "--metric", "l2", "-k", "1")
    assert data["matches"][0]["score"] == pytest.approx(0.0, abs=1e-6)
