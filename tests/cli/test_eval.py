"""`photofind eval` on the real stamps set and on generated layouts, through the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from photofind.cli.app import app
from tests.conftest import STAMPS
from tests.helpers.images import library, save, scene

runner = CliRunner()


def run_eval(*args: str) -> dict:
    res = runner.invoke(app, ["eval", *args, "--json"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            digest.update(str(p).encode() + p.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def stamps_eval(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path, str]:
    """Two eval runs on stamps with a user index next to them; module-scoped (effnet is slow)."""
    if not STAMPS.is_dir():
        pytest.fail(f"the stamps dataset is missing at {STAMPS}")
    base = tmp_path_factory.mktemp("eval")
    env = {"PHOTOFIND_HOME": str(base / "home"), "PHOTOFIND_STORE_CACHE_DIR": str(base / "cache"),
           "XDG_CONFIG_HOME": str(base / "cfg")}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        library(base / "mine", 3)
        assert runner.invoke(app, ["index", str(base / "mine"), "-m", "pixel"]).exit_code == 0
        before = tree_digest(base / "home")
        args = [str(STAMPS), "--embedders", "pixel,effnet-lite0", "--metrics", "cosine,l2,l1,corr", "-k", "1,5,10"]
        first, second = run_eval(*args), run_eval(*args)
        return first, second, base, before
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


@pytest.mark.slow
def test_eval_has_every_requested_row(stamps_eval) -> None:
    first, _, _, _ = stamps_eval
    assert [(r["embedder"], r["metric"]) for r in first["rows"]] == [
        (e, m) for e in ("pixel-32", "effnet-lite0-imagenet") for m in ("cosine", "l2", "l1", "corr")
    ]
    assert (first["train_images"], first["test_images"], first["classes"]) == (269, 67, 27)
    for row in first["rows"]:
        assert set(row["precision"]) == {"1", "5", "10"} and row["queries"] == 67 and row["error"] is None
        assert row["images_per_s"] > 0 and row["query_ms"] > 0
        assert (row["hnsw_recall"] is None) == (row["metric"] in ("l1", "corr"))
        if row["hnsw_recall"] is not None:
            assert 0.9 <= row["hnsw_recall"] <= 1.0  # 269 vectors: HNSW should be (nearly) exact


@pytest.mark.slow
def test_effnet_beats_pixel_on_precision_at_1(stamps_eval) -> None:
    rows = {(r["embedder"], r["metric"]): r for r in stamps_eval[0]["rows"]}
    deep, pixel = rows[("effnet-lite0-imagenet", "cosine")], rows[("pixel-32", "cosine")]
    assert deep["precision"]["1"] >= 0.5 > pixel["precision"]["1"] + 0.3
    # For unit vectors l2 ranks exactly like cosine.
    assert rows[("effnet-lite0-imagenet", "l2")]["precision"] == deep["precision"]


@pytest.mark.slow
def test_eval_is_repeatable_and_leaves_the_users_index_alone(stamps_eval) -> None:
    first, second, base, before = stamps_eval
    strip = lambda rows: [{k: v for k, v in r.items() if k not in ("images_per_s", "query_ms")} for r in rows]
    assert strip(first["rows"]) == strip(second["rows"])
    assert tree_digest(base / "home") == before
    assert (base / "cache" / "eval").is_dir()


def make_layout(root: Path, train: dict[str, int], test: dict[str, int]) -> Path:
    seed = 0
    for split, classes in (("train", train), ("test", test)):
        for name, n in classes.items():
            (root / split / name).mkdir(parents=True, exist_ok=True)
            for i in range(n):
                seed += 1
                save(scene(seed), root / split / name / f"{i}.jpg")
    return root


@pytest.mark.parametrize(
    "train, test, needle",
    [
        (None, {"a": 1}, "has no train/ folder"),
        ({"a": 2, "b": 0}, {"a": 1}, "class 'b' in train/ has no images"),
        ({"a": 2}, {"a": 1, "zebra": 1}, "test classes missing from train/: zebra"),
    ],
)
def test_eval_malformed_layouts(tmp_path: Path, train, test, needle: str) -> None:
    root = make_layout(tmp_path / "data", train or {}, test)
    res = runner.invoke(app, ["eval", str(root), "--embedders", "pixel"])
    assert res.exit_code == 2 and needle in res.stderr, res.output


@pytest.mark.slow
def test_eval_grid_dir_and_unavailable_model_row(tmp_path: Path) -> None:
    root = make_layout(tmp_path / "data", {"a": 3, "b": 3}, {"a": 1, "b": 1})
    data = run_eval(str(root), "--embedders", "pixel,clip", "--metrics", "cosine,l1", "-k", "1,2",
                    "--grid-dir", str(tmp_path / "grids"))
    clip_rows = [r for r in data["rows"] if r["embedder"] == "clip"]
    assert len(clip_rows) == 2 and all("could not download" in r["error"] for r in clip_rows)
    grids = sorted(p.name for p in (tmp_path / "grids").iterdir())
    assert len(grids) == 4  # 2 queries x 2 metrics for pixel
    assert grids[0].startswith("a__0__pixel-32__")
