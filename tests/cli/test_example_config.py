"""The shipped config.example.toml, copied as a new user's config (issue 19, part 6): the real
CLI (in this process). A copy must not add folders that are not on this machine (/mnt/photos) nor
switch an offline user to CLIP, whose weights cannot be downloaded here."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import Ran, run_here
from tests.helpers.images import library

REPO = Path(__file__).resolve().parents[2]


# effnet-lite0 loads a real CNN: the full suite's; the pixel case checks the same copy in the quick lane
@pytest.mark.parametrize("model, model_id", [("pixel", "pixel-32"),
                                             pytest.param("effnet-lite0", "effnet-lite0-imagenet", marks=pytest.mark.slow)])
def test_a_copied_example_config_changes_nothing(tmp_path: Path, model: str, model_id: str) -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "photofind" / "config.toml"
    config.parent.mkdir(parents=True)
    shutil.copy(REPO / "config.example.toml", config)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHOTOFIND_MODEL")}
    env.update(PHOTOFIND_MODEL_RUNTIME="torch", COLUMNS="250")  # effnet-lite0 without its one-off ONNX export

    def cli(*args: str) -> Ran:
        return run_here("--no-server", *args, env=env)

    photos = tmp_path / "photos"
    library(photos, 3)
    done = cli("index", str(photos), "--model", model)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    status = cli("status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["model"] == model_id  # the config pinned CLIP before
    assert report["roots"] == [str(photos)]
    again = cli("reindex")
    assert again.returncode == 0, again.stderr
    assert "/mnt/photos" not in again.stderr + again.stdout  # "not there (unmounted?)" before
    assert f"with {model_id}" in again.stdout
