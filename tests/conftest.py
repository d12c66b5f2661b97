from __future__ import annotations

import json
import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

# Set before anything imports huggingface_hub, which reads it once at import: the hub then fails
# at once instead of retrying for ~45 s. Tests never download anything.
os.environ["HF_HUB_OFFLINE"] = "1"
# Nor does the suite read the machine's own hub cache: a test's outcome must not depend on
# which weights this machine happened to download before.
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="pf-test-hf-")
atexit.register(shutil.rmtree, os.environ["HF_HOME"], ignore_errors=True)
# No background servers from the suite, not even from module-scoped fixtures that run before the
# per-test environment below; the server's own tests switch them on for their subprocesses.
os.environ["PHOTOFIND_SERVER_AUTOSTART"] = "false"
# Rich fixes a Console's width from COLUMNS when the console is made (photofind.cli.console, at
# import) and reads COLUMNS afresh at each print only if it was unset then: so no width from the
# terminal of whoever runs the tests, here or in subprocesses. A test that needs one sets COLUMNS.
for _name in ("COLUMNS", "LINES"):
    os.environ.pop(_name, None)
import photofind.cli.console  # noqa: E402,F401  (made now, with COLUMNS unset)

REPO = Path(__file__).resolve().parents[1]
STAMPS = REPO / "tests" / "data" / "stamps"  # shipped with the repo (GPL-2, see its SOURCE.md)

# A tiny open_clip architecture: same code path as ViT-B-32, a few thousand times cheaper.
TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir and config dir; the user's own index is never touched."""
    home = tmp_path / "pf-home"
    for name in list(os.environ):
        if name.startswith("PHOTOFIND_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PHOTOFIND_HOME", str(home))
    monkeypatch.setenv("PHOTOFIND_STORE_CACHE_DIR", str(tmp_path / "pf-cache"))
    monkeypatch.setenv("PHOTOFIND_SERVER_AUTOSTART", "false")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    # The platform cache dir too: an embedder built without a cache_dir exports ONNX files there.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    # And the desktop trash ($XDG_DATA_HOME/Trash): `dupes --trash` and the web page's button
    # never touch the machine's own.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return home


@pytest.fixture(autouse=True)
def stop_servers_left_running() -> Iterator[None]:
    """Every photofind server a test starts (tests/helpers/processes.py) is stopped when the test
    ends, even after a failed assert."""
    from tests.helpers.processes import stop_all

    yield
    stop_all()


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A registered tiny CLIP config plus a checkpoint of random weights saved from it."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("tiny-clip")
    config = folder / "pf-tiny-clip.json"
    config.write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(config)
    torch.manual_seed(0)
    model = open_clip.create_model("pf-tiny-clip", pretrained=None)
    checkpoint = folder / "tiny.pt"
    torch.save(model.state_dict(), checkpoint)
    return {"clip_model": "pf-tiny-clip", "clip_config": str(config), "checkpoint": str(checkpoint)}


@pytest.fixture
def tiny_clip_env(tiny_clip: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {
        "PHOTOFIND_MODEL": "clip",
        "PHOTOFIND_MODEL_CLIP_MODEL": tiny_clip["clip_model"],
        "PHOTOFIND_MODEL_CLIP_CONFIG": tiny_clip["clip_config"],
        "PHOTOFIND_MODEL_CHECKPOINT": tiny_clip["checkpoint"],
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture(scope="session")
def effnet():
    from photofind.embedders.effnet import EffnetLite0Embedder

    embedder = EffnetLite0Embedder("cpu", runtime="torch")
    embedder.ensure_loaded()
    return embedder


def precision_at_1(store: Any, embedder: Any, data: Path) -> float:
    """P@1 of `embedder` on a DATA/train, DATA/test layout: each test image's nearest train image."""
    import numpy as np

    from photofind.settings import DEFAULT_EXCLUDE, DEFAULT_EXTENSIONS
    from photofind.indexer import Indexer
    from photofind.scanner import PathFilter
    from photofind.query.ranking import Ranking
    from photofind.query.library import Library

    vectors = store.vectors(embedder.id, "cosine")
    Indexer(store.catalog, vectors, embedder, path_filter=PathFilter(DEFAULT_EXTENSIONS, DEFAULT_EXCLUDE),
            batch_size=32, workers=2).index_roots([data / "train"])
    queries = sorted((data / "test").glob("*/*.jpg"))
    hits = [Library(store.catalog, vectors, embedder).like([q], Ranking(k=1)).matches[0].path.split("/")[-2] == q.parent.name
            for q in queries]
    return float(np.mean(hits))


@pytest.fixture(scope="session")
def effnet_stamps_p1(effnet, tmp_path_factory: pytest.TempPathFactory) -> float:
    """effnet-lite0's P@1 on stamps through torch, computed once for every test that compares with it."""
    from photofind.store.store import Store

    if not STAMPS.is_dir():
        pytest.fail(f"the stamps dataset is missing at {STAMPS}")
    with Store(tmp_path_factory.mktemp("stamps-torch"), "test") as store:
        return precision_at_1(store, effnet, STAMPS)


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ONNX export cache for the session: effnet-lite0's export takes ~10 s, so it is done once."""
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="session")
def effnet_onnx(onnx_cache: Path):
    from photofind.embedders.effnet import EffnetLite0Embedder

    embedder = EffnetLite0Embedder("cpu", runtime="onnx", cache_dir=onnx_cache)
    embedder.ensure_loaded()
    assert embedder.runtime == "onnx", "the effnet-lite0 export fell back to torch"
    return embedder
