"""The ONNX Runtime path against the torch path it was exported from: the same vectors, the
same preprocessing, a cache that is rebuilt when it is stale or broken, and a torch fallback."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from photofind.embedders.clip import PROBE_TEXTS, ClipEmbedder
from photofind.embedders.effnet import EffnetLite0Embedder
from photofind.embedders.onnx_export import MIN_COSINE, SIDECAR
from photofind.embedders.preprocess import Preprocess, from_torchvision
from photofind.errors import ModelUnavailableError
from tests.conftest import REPO, STAMPS
from tests.helpers.images import scene

pytestmark = pytest.mark.slow  # exports models through torch and runs ONNX Runtime

TEXTS = ["a dog on the beach", "a red car at night", "Ünïcödé café", "word " * 100]


def clip(tiny: dict[str, str], runtime: str, cache: Path | None, checkpoint: str = "") -> ClipEmbedder:
    return ClipEmbedder(tiny["clip_model"], "", checkpoint or tiny["checkpoint"], tiny["clip_config"], "cpu",
                        runtime=runtime, cache_dir=cache)


def images(n: int = 6) -> list[Image.Image]:
    sizes = [(160, 120), (120, 160), (64, 64), (301, 97), (50, 80), (640, 480)]
    return [scene(i, sizes[i % len(sizes)]) for i in range(n)]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)  # both unit rows


def bundle(cache: Path) -> Path:
    (folder,) = [p for p in (cache / "onnx").iterdir() if p.is_dir()]
    return folder


# -- equivalence ---------------------------------------------------------------------------

def test_tiny_clip_exports_both_towers_equal_to_torch(tiny_clip: dict[str, str], tmp_path: Path) -> None:
    onnx, ref = clip(tiny_clip, "onnx", tmp_path), clip(tiny_clip, "torch", None)
    assert not onnx._loaded  # creating it loads nothing
    got = onnx.embed(images())
    assert onnx.runtime == "onnx" and onnx._model is None  # no torch model is kept once exported
    assert cosines(got, ref.embed(images())).min() >= MIN_COSINE
    assert cosines(onnx.embed_texts(TEXTS), ref.embed_texts(TEXTS)).min() >= MIN_COSINE
    assert onnx.id == ref.id and onnx.dim == ref.dim == 32  # same vectors, so the same collection
    meta = json.loads((bundle(tmp_path) / SIDECAR).read_text())
    assert set(meta["verified_cosine"]) == {"image", "text"}
    assert min(meta["verified_cosine"].values()) >= MIN_COSINE


def test_a_vit_with_fused_attention_exports(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """With an even head count, MultiheadAttention takes its fused inference kernel, which has no
    ONNX form (ViT-B-32 failed so). The tiny CLIP has one vision head; this one has two."""
    import open_clip

    config = tmp_path / "pf-tiny-2h.json"
    config.write_text(json.dumps({"embed_dim": 32, "vision_cfg": {"image_size": 64, "layers": 1, "width": 128,
                                  "patch_size": 16}, "text_cfg": {"context_length": 77, "vocab_size": 49408,
                                  "width": 64, "heads": 2, "layers": 1}}))
    open_clip.add_model_config(config)
    torch.manual_seed(2)
    model = open_clip.create_model("pf-tiny-2h", pretrained=None)
    assert model.visual.transformer.resblocks[0].attn.num_heads == 2
    torch.save(model.state_dict(), tmp_path / "2h.pt")
    tiny = {"clip_model": "pf-tiny-2h", "clip_config": str(config), "checkpoint": str(tmp_path / "2h.pt")}
    onnx = clip(tiny, "onnx", tmp_path / "cache")
    rows = onnx.embed(images(3))
    assert onnx.runtime == "onnx", capfd.readouterr().err[-500:]
    assert cosines(rows, clip(tiny, "torch", None).embed(images(3))).min() >= MIN_COSINE
    assert torch.backends.mha.get_fastpath_enabled()  # the export switched it off for itself only


def test_effnet_onnx_equals_torch_with_real_weights(effnet, effnet_onnx) -> None:
    photos = images() + [Image.open(p).convert("RGB") for p in sorted(STAMPS.glob("test/*/*.jpg"))[:10]]
    assert cosines(effnet_onnx.embed(photos), effnet.embed(photos)).min() >= MIN_COSINE
    assert effnet_onnx.id == effnet.id


@pytest.mark.slow
def test_stamps_quality_on_onnx_runtime_equals_torch(effnet_stamps_p1: float, effnet_onnx, tmp_path: Path) -> None:
    from photofind.store.store import Store
    from tests.conftest import precision_at_1

    with Store(tmp_path / "onnx", "test") as store:
        p_onnx = precision_at_1(store, effnet_onnx, STAMPS)
    assert p_onnx == pytest.approx(effnet_stamps_p1, abs=0.01)
    assert p_onnx >= 0.5


def test_numpy_preprocessing_equals_the_torch_transforms(tiny_clip: dict[str, str]) -> None:
    import open_clip
    from torchvision import transforms

    vit = open_clip.image_transform(224, is_train=False)  # ViT-B-32's transform (open_clip defaults)
    tiny = open_clip.create_model_and_transforms(tiny_clip["clip_model"], pretrained=None)[2]
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    squash = transforms.Compose([transforms.Resize((224, 224), interpolation=transforms.InterpolationMode.BICUBIC),
                                 transforms.ToTensor(), transforms.Normalize(mean, std)])
    effnet_torch = EffnetLite0Embedder("cpu", "torch")
    effnet_torch._load_torch()
    # open_clip's transforms convert any mode to RGB; effnet's (like the indexer) gets RGB.
    pairs = [(vit, from_torchvision(vit), ("RGB", "L", "RGBA", "P")),
             (tiny, from_torchvision(tiny), ("RGB", "L", "RGBA", "P")),
             (squash, EffnetLite0Embedder.PREPROCESS, ("RGB",)),
             (effnet_torch._transform, EffnetLite0Embedder.PREPROCESS, ("RGB",))]
    assert pairs[0][1].mode == "shortest" and pairs[2][1].mode == "squash"
    rng = np.random.default_rng(0)
    for size in [(640, 480), (480, 640), (224, 224), (33, 20), (1001, 999)]:
        rgb = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        for reference, mine, modes in pairs:
            for mode in modes:
                image = rgb.convert(mode)
                np.testing.assert_allclose(mine(image), reference(image).numpy(), atol=1e-6)


def test_preprocess_refuses_transforms_it_cannot_reproduce() -> None:
    from torchvision import transforms

    from photofind.embedders.preprocess import UnsupportedTransform

    with pytest.raises(UnsupportedTransform):
        from_torchvision(transforms.Compose([transforms.Resize(224), transforms.RandomHorizontalFlip()]))
    with pytest.raises(UnsupportedTransform):
        Preprocess(224, 224, "longest", "bicubic", (0, 0, 0), (1, 1, 1))


def test_numpy_tokenizer_equals_open_clips(tmp_path: Path) -> None:
    import open_clip

    rng = np.random.default_rng(0)
    ascii_noise = ["".join(chr(c) for c in rng.integers(9, 127, 40)) for _ in range(20)]  # controls too
    texts = [*TEXTS, *PROBE_TEXTS, *ascii_noise, "", "  spaced\tout \r\n ", "&lt;b&gt;html&lt;/b&gt; &amp",
             "emoji 📷 ok", "mojibake cafÃ©", "ﬁne ｆｕｌｌ “quotes”"]
    from photofind.embedders.text_tokenizer import TextTokenizer, clip_bpe_tokenizer, open_clip_vocab

    clip_bpe_tokenizer(open_clip_vocab()).save(str(tmp_path / "tokenizer.json"))
    mine = TextTokenizer(tmp_path / "tokenizer.json", 77, clip_bpe=True)
    np.testing.assert_array_equal(mine(texts), open_clip.get_tokenizer("ViT-B-32")(texts).numpy())


# -- the cache -----------------------------------------------------------------------------

def test_cache_is_reused_then_rebuilt_when_the_checkpoint_changes(tiny_clip: dict[str, str], tmp_path: Path) -> None:
    checkpoint = tmp_path / "weights.pt"
    shutil.copy(tiny_clip["checkpoint"], checkpoint)
    first = clip(tiny_clip, "onnx", tmp_path / "cache", str(checkpoint))
    old_rows = first.embed(images(3))
    assert first._bundle is not None and first._bundle.built_now
    again = clip(tiny_clip, "onnx", tmp_path / "cache", str(checkpoint))
    again.ensure_loaded()
    assert again._bundle is not None and not again._bundle.built_now  # reused: no torch needed

    import open_clip

    torch.manual_seed(1)  # other weights, same file name and size
    torch.save(open_clip.create_model(tiny_clip["clip_model"], pretrained=None).state_dict(), checkpoint)
    changed = clip(tiny_clip, "onnx", tmp_path / "cache", str(checkpoint))
    rows = changed.embed(images(3))
    assert changed._bundle is not None and changed._bundle.built_now
    assert cosines(rows, clip(tiny_clip, "torch", None, str(checkpoint)).embed(images(3))).min() >= MIN_COSINE
    assert cosines(rows, old_rows).min() < 0.99  # the old export was not used


@pytest.mark.parametrize("damage", ["truncate", "corrupt", "no sidecar", "other key"])
def test_a_broken_or_foreign_export_is_rebuilt(tiny_clip: dict[str, str], tmp_path: Path, damage: str) -> None:
    clip(tiny_clip, "onnx", tmp_path).ensure_loaded()
    folder = bundle(tmp_path)
    image, meta = folder / "image.onnx", folder / SIDECAR
    if damage == "truncate":
        image.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
    elif damage == "corrupt":  # same size: only ONNX Runtime can tell
        image.write_bytes(b"\x00garbage" * (image.stat().st_size // 8) + b"\x00" * (image.stat().st_size % 8))
    elif damage == "no sidecar":  # a crash after the files, before the sidecar
        meta.unlink()
    else:
        data = json.loads(meta.read_text())
        data["key"]["checkpoint_sha256"] = "0" * 64
        meta.write_text(json.dumps(data))
    emb = clip(tiny_clip, "onnx", tmp_path)
    rows = emb.embed(images(3))
    assert emb.runtime == "onnx" and emb._bundle is not None and emb._bundle.built_now
    assert cosines(rows, clip(tiny_clip, "torch", None).embed(images(3))).min() >= MIN_COSINE
    assert json.loads(meta.read_text())["files"]["image"]["size"] == image.stat().st_size


def test_an_unusable_cache_falls_back_to_torch_with_one_line(
    tiny_clip: dict[str, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("")  # the cache dir cannot be created under a file
    emb = clip(tiny_clip, "onnx", not_a_dir)
    with caplog.at_level(logging.WARNING, logger="photofind"):
        rows = emb.embed(images(3))
        emb.embed_texts(TEXTS[:1])
    assert emb.runtime == "torch"
    assert cosines(rows, clip(tiny_clip, "torch", None).embed(images(3))).min() >= MIN_COSINE
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "runs on torch" in lines[0] and "\n" not in lines[0]


def test_a_read_only_cache_dir_still_indexes_on_torch(tiny_clip_env: dict[str, str], tmp_path: Path) -> None:
    from tests.helpers.images import library

    cache = Path(os.environ["PHOTOFIND_STORE_CACHE_DIR"])
    cache.mkdir(parents=True)
    cache.chmod(0o500)  # read-only, and private already: photofind has nothing to tighten
    library(tmp_path / "photos", 3)
    command = [sys.executable, "-m", "photofind", "index", str(tmp_path / "photos")]
    if os.geteuid() == 0:  # root writes anywhere; in a user namespace it has no such power
        if not shutil.which("unshare") or subprocess.run(["unshare", "--user", "true"]).returncode != 0:
            pytest.skip("running as root without user namespaces: a read-only dir cannot be made")
        command = ["unshare", "--user", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=os.environ.copy())
    cache.chmod(0o700)
    assert done.returncode == 0, done.stderr
    assert "3 embedded" in done.stdout
    warning = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and "runs on torch" in warning[0] and "PermissionError" in warning[0]
    assert not (cache / "onnx").exists() or not any((cache / "onnx").iterdir())


def test_cuda_without_its_provider_is_a_clear_error(tiny_clip: dict[str, str], tmp_path: Path) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this machine has the CUDA provider")
    emb = ClipEmbedder(tiny_clip["clip_model"], "", tiny_clip["checkpoint"], tiny_clip["clip_config"], "cuda",
                       runtime="onnx", cache_dir=tmp_path)
    with pytest.raises(ModelUnavailableError, match="CUDAExecutionProvider"):
        emb.ensure_loaded()


def test_quantize_keeps_the_torch_path(tiny_clip: dict[str, str], tmp_path: Path) -> None:
    emb = ClipEmbedder(tiny_clip["clip_model"], "", tiny_clip["checkpoint"], tiny_clip["clip_config"], "cpu",
                       quantize=True, runtime="onnx", cache_dir=tmp_path)
    emb.ensure_loaded()
    assert emb.runtime == "torch" and not (tmp_path / "onnx").exists()


def test_the_onnx_modules_import_no_torch() -> None:
    code = ("import sys; import photofind.embedders.clip, photofind.embedders.effnet, photofind.embedders.onnx_export; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'open_clip', 'timm')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "[]"
