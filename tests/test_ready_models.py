"""Ready ONNX files from the hub (Immich's layout), against a local stand-in hub over real HTTP.

The files are exported in this run, through torch, from the suite's random-weight tiny open_clip
model, the way Immich's exporter writes them (tests/immich_layout.py); each test builds the
tokenizer it serves. huggingface_hub's real hf_hub_download does the transfers. Not exercised:
the real hub, its CDN redirects and Xet storage, and real ViT-B-32 weights (none can be
downloaded here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

from photofind.embedders.clip import ClipEmbedder
from photofind.errors import ModelUnavailableError
from tests.helpers.fakehub import FakeHub, refused_url
from tests.immich_layout import export_immich_repo

open_clip = pytest.importorskip("open_clip")
import torch  # noqa: E402  (the test extra brings torch: the files are exported here)

REPO = "immich-app/pf-tiny-clip__random"
ML_REPO = "immich-app/pf-tiny-multilingual__random"
CORPUS = [
    "a dog on the beach", "Ünïcödé café &amp; naïve — 東京タワー at night, 3.14 o'clock!", "a very long caption " * 30,
    "bãi biển lúc hoàng hôn", "playa al atardecer", "夕暮れのビーチ", "  Tabs\tand\nnewlines  ",
    "it's what we'll do, isn't it?", "😀 emoji 🏖️", "C++ & Rust <html> &lt;b&gt;", "", "ALL CAPS 12345 67",
    "naïve façade coöperate", "ﬁne ligature ＦＵＬＬＷＩＤＴＨ",
]
MULTILINGUAL = ["bãi biển lúc hoàng hôn", "playa al atardecer", "夕暮れのビーチ", "a beach at sunset",
                "Strand bei Sonnenuntergang", "пляж на закате"]


def clip_bpe_json() -> str:
    """CLIP's BPE as a tokenizer.json, from the merges file open_clip ships."""
    from photofind.embedders.text_tokenizer import clip_bpe_tokenizer, open_clip_vocab

    return clip_bpe_tokenizer(open_clip_vocab()).to_str()


def multilingual_json() -> tuple[str, int]:
    """An XLM-RoBERTa-style tokenizer (SentencePiece Unigram, <s> … </s>, <pad> = 1), trained
    here on a few sentences in several scripts; its vocabulary size."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    trainer = trainers.UnigramTrainer(vocab_size=400, special_tokens=specials, unk_token="<unk>")
    tok.train_from_iterator(MULTILINGUAL * 20 + CORPUS * 5, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    assert [tok.token_to_id(t) for t in specials] == [0, 1, 2, 3]
    return tok.to_str(), tok.get_vocab_size()


@pytest.fixture(scope="module")
def tiny_files(tiny_clip: dict[str, str]) -> dict[str, bytes]:
    """The tiny CLIP's checkpoint (tiny_clip) exported in Immich's layout."""
    model = open_clip.create_model(tiny_clip["clip_model"])
    model.load_state_dict(torch.load(tiny_clip["checkpoint"], weights_only=True))
    config = open_clip.get_model_config(tiny_clip["clip_model"])
    return export_immich_repo(model, config, REPO, clip_bpe_json(), {"pad_token": "<|endoftext|>"})


@pytest.fixture(scope="module")
def multilingual_files(tiny_clip: dict[str, str]) -> dict[str, bytes]:
    """A tiny model whose text tower reads the multilingual tokenizer's ids (random weights)."""
    tokenizer, vocab = multilingual_json()
    config = json.loads(Path(tiny_clip["clip_config"]).read_text())
    config["text_cfg"] = {**config["text_cfg"], "vocab_size": vocab, "hf_tokenizer_name": "xlm-roberta-base"}
    torch.manual_seed(1)
    model = open_clip.CLIP(**config)
    return export_immich_repo(model, config, ML_REPO, tokenizer, {"pad_token": "<pad>"})


@pytest.fixture
def hub(tiny_files: dict[str, bytes], multilingual_files: dict[str, bytes], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A stand-in hub serving both repos, huggingface_hub pointed at it, an empty cache."""
    from huggingface_hub import constants

    server = FakeHub({**tiny_files, **multilingual_files})
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    point_at(monkeypatch, server.url)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    yield server
    server.close()


def point_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """huggingface_hub read HF_ENDPOINT at import; point it elsewhere as that would have."""
    from huggingface_hub import constants

    template = constants.HUGGINGFACE_CO_URL_TEMPLATE.replace(constants.ENDPOINT, url, 1)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE", template)
    monkeypatch.setattr(constants, "ENDPOINT", url)


def ready(repo: str = REPO) -> ClipEmbedder:
    return ClipEmbedder("pf-tiny-clip", "random", device="cpu", hub_repo=repo)


def photos() -> list[Any]:
    from photofind.embedders.onnx_export import probe_images

    return probe_images()


def gets(hub: FakeHub, name: str) -> int:
    return sum(1 for method, path in hub.requests if method == "GET" and path.endswith(name))


def cached(repo: str, name: str) -> str | None:
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo, name)
    return found if isinstance(found, str) else None


# -- the download, its progress, the cache --------------------------------------------------
def test_download_reports_progress_then_the_cache_is_used_offline(hub: FakeHub, tiny_files: dict[str, bytes],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    from photofind.embedders.weights import report_downloads

    seen: list[Any] = []
    with report_downloads(seen.append):
        first = ready().embed(photos())
    onnx_size = len(tiny_files[f"{REPO}/visual/model.onnx"])
    bars = [p for p in seen if p.total == onnx_size]
    assert bars and bars[-1].done == onnx_size and bars[0].done < onnx_size  # it moved to the end
    assert gets(hub, "visual/model.onnx") == 1 and gets(hub, "textual/model.onnx") == 0  # index: no text tower
    assert first.shape == (4, 32)

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    hub.close()  # nothing answers now
    again = ready().embed(photos())
    np.testing.assert_array_equal(first, again)


def test_a_cached_file_changed_on_disk_is_not_trusted(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    ready().embed(photos()[:1])
    blob = Path(cached(REPO, "visual/model.onnx") or "").resolve()
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ModelUnavailableError) as err:
        ready().embed(photos()[:1])
    assert "HF_HUB_OFFLINE" in str(err.value) and "visual/model.onnx" in str(err.value)
    assert cached(REPO, "visual/model.onnx") is None  # deleted, not left for a later run
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    assert ready().embed(photos()[:1]).shape == (1, 32)  # online again: fetched afresh
    assert gets(hub, "visual/model.onnx") == 2


# -- faults ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["truncated", "corrupt"])
def test_a_bad_transfer_is_fetched_again_once(hub: FakeHub, tiny_files: dict[str, bytes], fault: str) -> None:
    key = f"{REPO}/visual/model.onnx"
    good = tiny_files[key]
    bad = good[: len(good) // 2] if fault == "truncated" else good[:100] + bytes([good[100] ^ 0xFF]) + good[101:]
    hub.bad[key] = [bad]
    rows = ready().embed(photos())
    assert gets(hub, "visual/model.onnx") == 2
    assert Path(cached(REPO, "visual/model.onnx") or "").read_bytes() == good
    assert rows.shape == (4, 32)


@pytest.mark.parametrize("fault", ["truncated", "corrupt"])
def test_a_second_bad_transfer_is_one_line_and_leaves_nothing(hub: FakeHub, tiny_files: dict[str, bytes],
                                                               fault: str) -> None:
    from photofind.embedders.hub_fetch import hub_cache

    key = f"{REPO}/visual/model.onnx"
    good = tiny_files[key]
    bad = good[: len(good) // 3] if fault == "truncated" else bytes(len(good))
    hub.bad[key] = [bad, bad]
    with pytest.raises(ModelUnavailableError) as err:
        ready().embed(photos())
    message = str(err.value)
    assert "\n" not in message and "failed twice" in message and f"{REPO}/visual/model.onnx" in message
    assert gets(hub, "visual/model.onnx") == 2
    assert cached(REPO, "visual/model.onnx") is None
    leftovers = [p for p in hub_cache().rglob("*") if p.is_file() and p.stat().st_size >= len(good) // 3]
    assert leftovers == []  # no blob, no .incomplete a later run could resume or trust


def test_a_missing_file_is_one_line_naming_model_and_file(hub: FakeHub) -> None:
    del hub.files[f"{REPO}/textual/model.onnx"]
    embedder = ready()
    assert embedder.embed(photos()[:1]).shape == (1, 32)  # the image tower is all `index` needs
    with pytest.raises(ModelUnavailableError) as err:
        embedder.embed_texts(["a dog"])
    message = str(err.value)
    assert "\n" not in message and "404" in message
    assert f"no file textual/model.onnx in {REPO}" in message and f"model {REPO}" in message


def test_an_unreachable_hub_is_one_line(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    point_at(monkeypatch, refused_url())
    with pytest.raises(ModelUnavailableError) as err:  # at once: no retries (pytest's timeout guards a hang)
        ready().embed(photos()[:1])
    assert "is not reachable" in str(err.value) and "\n" not in str(err.value)


def test_a_read_only_cache_is_one_line(tiny_files: dict[str, bytes], tmp_path: Path) -> None:
    """The CLI in a subprocess, its hub cache on a read-only file system (a tmpfs mounted read-only
    in the subprocess's own mount namespace when this runs as root, where chmod cannot stop it)."""
    server = FakeHub(tiny_files)
    cache = tmp_path / "hf" / "hub"
    cache.mkdir(parents=True)
    library = tmp_path / "photos"
    from tests.helpers.images import library as make_library

    make_library(library, 1)
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_ENDPOINT=server.url, PHOTOFIND_MODEL="clip",
               PHOTOFIND_MODEL_HUB_REPO=REPO)
    cmd = [sys.executable, "-m", "photofind", "--no-server", "index", str(library)]
    try:
        if os.geteuid() == 0:
            if shutil.which("unshare") is None:
                pytest.skip("root without unshare: no way to make a read-only cache")
            cmd = ["unshare", "-m", "sh", "-c", f'mount -t tmpfs -o ro tmpfs "{cache}" && exec "$@"', "sh", *cmd]
        else:
            cache.chmod(0o555)
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    finally:
        cache.chmod(0o755)
        server.close()
    said = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert len(said) == 1 and "is not writable" in said[0] and "HF_HOME" in said[0], done.stderr


# -- the same weights through both paths ----------------------------------------------------
def test_ready_files_give_the_local_exports_vectors(hub: FakeHub, tiny_clip: dict[str, str]) -> None:
    """Equal within the shared-id bar (cosine >= 0.9999) on the same images and texts, yet two
    ids: a store indexed through one never silently gets the other's vectors."""
    from photofind.embedders.onnx_export import MIN_COSINE

    local = ClipEmbedder(tiny_clip["clip_model"], checkpoint=tiny_clip["checkpoint"],
                         clip_config=tiny_clip["clip_config"], device="cpu")
    hubbed = ready()
    images = photos()
    for a, b in ((local.embed(images), hubbed.embed(images)),
                 (local.embed_texts(CORPUS), hubbed.embed_texts(CORPUS))):
        assert (a * b).sum(axis=1).min() >= MIN_COSINE
    assert local.id != hubbed.id and local.runtime == "onnx"


# -- tokenizers -----------------------------------------------------------------------------
def test_clip_bpe_from_tokenizer_json_gives_open_clips_ids(tmp_path: Path) -> None:
    from photofind.embedders.text_tokenizer import TextTokenizer

    (tmp_path / "tokenizer.json").write_text(clip_bpe_json())
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"pad_token": "<|endoftext|>"}))
    mine = TextTokenizer.for_model(tmp_path, {"text_cfg": {"context_length": 77}})(CORPUS)
    np.testing.assert_array_equal(mine, open_clip.get_tokenizer("ViT-B-32")(CORPUS).numpy())


def test_multilingual_tokenization_round_trips(tmp_path: Path) -> None:
    from photofind.embedders.text_tokenizer import TextTokenizer

    tokenizer, _ = multilingual_json()
    (tmp_path / "tokenizer.json").write_text(tokenizer)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"pad_token": {"content": "<pad>"}}))
    tok = TextTokenizer.for_model(tmp_path, {"text_cfg": {"hf_tokenizer_name": "xlm-roberta-base",
                                                          "context_length": 64}})
    ids = tok(MULTILINGUAL + ["a very long caption " * 30])
    assert ids.shape == (len(MULTILINGUAL) + 1, 64)
    for text, row in zip(MULTILINGUAL, ids):
        assert row[0] == 0 and 2 in row and (row[list(row).index(2) + 1:] == 1).all()  # <s> … </s> <pad>…
        assert tok.decode(row) == text
    assert ids[-1][0] == 0 and ids[-1][-1] == 2  # truncated with its end token kept


def test_multilingual_search_runs_on_ready_files(hub: FakeHub) -> None:
    embedder = ready(ML_REPO)
    rows = embedder.embed_texts(MULTILINGUAL)
    assert rows.shape == (len(MULTILINGUAL), 32)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1, atol=1e-5)
    assert len({tuple(np.round(r, 4)) for r in rows}) == len(MULTILINGUAL)  # each language its own vector
    assert gets(hub, "visual/model.onnx") == 0  # a text search never fetches the image tower


# -- light imports --------------------------------------------------------------------------
def test_the_ready_path_never_imports_torch(tiny_files: dict[str, bytes], tmp_path: Path) -> None:
    server = FakeHub(tiny_files)
    code = (
        "import sys\n"
        "from photofind.embedders.clip import ClipEmbedder\n"
        "from photofind.embedders.onnx_export import probe_images\n"
        f"e = ClipEmbedder('pf-tiny-clip', 'random', device='cpu', hub_repo={REPO!r})\n"
        "e.embed(probe_images()); e.embed_texts(['bãi biển'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'open_clip', 'torchvision')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_ENDPOINT=server.url)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- the CLI, for real: a first run that downloads, then no network at all -------------------
@pytest.mark.slow
def test_first_index_downloads_with_a_bar_then_runs_offline(tiny_files: dict[str, bytes],
                                                            multilingual_files: dict[str, bytes],
                                                            tmp_path: Path, isolated_home: Path) -> None:
    from tests.e2e.test_first_run import ANSI, in_terminal
    from tests.helpers.images import library

    library(tmp_path / "photos", 3)
    server = FakeHub({**tiny_files, **multilingual_files}, piece=1 << 14, pause=0.05)
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HF_HOME=str(tmp_path / "hf"), HF_ENDPOINT=server.url, PHOTOFIND_MODEL="clip",
               PHOTOFIND_MODEL_HUB_REPO=REPO, PHOTOFIND_SERVER_AUTOSTART="false", COLUMNS="250")
    try:
        status, screen = in_terminal(env, "index", str(tmp_path / "photos"))
    finally:
        server.close()
    assert status == 0, screen
    assert f"downloading model {REPO} ({REPO}/visual/model.onnx)" in screen, screen
    assert re.search(r"\d+(\.\d)?/\d+(\.\d)? [kM]B", screen), screen  # the bar's size column
    assert "Retry" not in screen and "WARNING" not in screen

    # No hub now, and HF_HUB_OFFLINE not set: the verified cache answers without the network.
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "photofind", *args], capture_output=True, text=True,
                              env={**env, "HF_ENDPOINT": refused_url()}, timeout=120)

    library(tmp_path / "query", 1)  # not indexed: `like` must run the image tower again
    again = cli("like", str(tmp_path / "query" / "photo_0000.jpg"), "-k", "2", "--paths")
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) == 2 and again.stderr == ""
    # search needs the text tower, never fetched: one line naming the model and the hub
    words = cli("search", "a dog on the beach")
    assert words.returncode == 2 and len(words.stderr.strip().splitlines()) == 1, words.stderr
    assert "textual/tokenizer.json" in words.stderr and "is not reachable" in words.stderr


import re  # noqa: E402


# -- photofind models -----------------------------------------------------------------------
def test_models_lists_each_model_and_what_is_downloaded(tiny_files: dict[str, bytes], hub: FakeHub) -> None:
    """The catalogue's default repository served with the tiny files: `models` follows the cache."""
    from typer.testing import CliRunner

    from photofind.cli.app import app
    from photofind.embedders.catalog import ready as catalog_entry

    default = catalog_entry("clip")
    assert default is not None
    hub.files.update({k.replace(REPO, default.repo): v for k, v in tiny_files.items()})

    def listed() -> dict[str, dict[str, Any]]:
        done = CliRunner().invoke(app, ["models", "--json"], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        return {row["name"]: row for row in json.loads(done.stdout)}

    before = listed()
    assert {"clip", "clip-multilingual", "effnet-lite0"} <= set(before)
    assert before["clip"]["downloaded"] == "no" and before["clip"]["current"]
    assert "English" in before["clip"]["languages"] and "vi" in before["clip-multilingual"]["languages"]
    assert before["clip"]["imagenet_zero_shot"] and "openclip_results" in before["clip"]["accuracy_source"]
    assert before["effnet-lite0"]["dim"] == 1280

    embedder = ClipEmbedder(device="cpu")  # the default model: its ready files, from the catalogue
    assert embedder.ready_repo == default.repo
    embedder.embed(photos()[:1])
    assert listed()["clip"]["downloaded"] == "image tower only"
    embedder.embed_texts(["a dog"])
    after = listed()["clip"]
    files = [v for k, v in hub.files.items() if k.startswith(default.repo + "/")]
    assert after["downloaded"] == "yes" and after["download_exact"]
    assert after["download_mb"] == round(sum(len(v) for v in files) / 1e6, 1)
    table = CliRunner().invoke(app, ["models"], catch_exceptions=False, env={"COLUMNS": "200"}).stdout
    assert "clip-multilingual" in table and "publishers' figures" in table
