"""Embedders run for real: pixel by hand, effnet-lite0 with its shipped ImageNet weights,
and CLIP through open_clip's own loader on a tiny random-weight architecture (CLIP weights
cannot be downloaded here; the loading code is the one the real model uses)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from photofind.config import load
from photofind.embedders import MODELS, create_embedder, text_models
from photofind.embedders.clip import ClipEmbedder
from photofind.embedders.effnet import map_by_position
from photofind.embedders.pixel import PixelEmbedder
from photofind.errors import ModelUnavailableError, UnknownModelError
from photofind.store.store import Store
from tests.conftest import STAMPS, precision_at_1
from tests.helpers.images import scene


def test_pixel_vector_is_the_normalised_thumbnail() -> None:
    im = Image.new("RGB", (64, 64), (255, 0, 0))
    v = PixelEmbedder(size=2).embed([im])[0]
    expected = np.array([1, 0, 0] * 4, dtype=np.float32) / 2.0  # four red pixels, unit length
    np.testing.assert_allclose(v, expected, atol=1e-6)


def test_rows_are_unit_float32() -> None:
    rows = PixelEmbedder().embed([scene(1), scene(2)])
    assert rows.dtype == np.float32 and rows.shape == (2, 3072)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)


def test_unknown_model_name() -> None:
    with pytest.raises(UnknownModelError, match="clip, clip-multilingual, effnet-lite0, pixel"):
        create_embedder(replace(load(env={}).model, name="resnet"))


def test_position_mapping_checks_every_shape() -> None:
    target = {"a.weight": torch.zeros(2, 3), "b.bias": torch.zeros(4)}
    good = {"x": torch.ones(2, 3), "y": torch.ones(4)}
    assert list(map_by_position(good, target)) == ["a.weight", "b.bias"]
    with pytest.raises(ModelUnavailableError, match="shape"):
        map_by_position({"x": torch.ones(3, 2), "y": torch.ones(4)}, target)
    with pytest.raises(ModelUnavailableError, match="tensors"):
        map_by_position({"x": torch.ones(2, 3)}, target)


@pytest.mark.slow
def test_effnet_weights_are_the_real_imagenet_ones(effnet) -> None:
    # Pretrained BN statistics are far from their init (mean 0, var 1); random weights are not.
    bn = effnet._model.bn1
    assert float(bn.running_var.mean()) != pytest.approx(1.0, abs=0.05)
    rows = effnet.embed([scene(1), scene(1), scene(2)])
    assert rows.shape == (3, 1280)
    np.testing.assert_allclose(rows[0], rows[1], atol=1e-5)  # deterministic


@pytest.mark.slow
def test_effnet_beats_pixels_on_real_photos(effnet_stamps_p1: float, tmp_path: Path) -> None:
    """stamps: 27 classes, 269 train / 67 test. Measured here: pixel 0.12, effnet-lite0 0.58."""
    with Store(tmp_path / "data", "test") as store:
        pixel = precision_at_1(store, PixelEmbedder(), STAMPS)
    deep = effnet_stamps_p1
    assert deep >= 0.50
    assert deep - pixel >= 0.30


@pytest.mark.slow
def test_tiny_clip_loads_through_open_clip_from_a_checkpoint(tiny_clip: dict[str, str]) -> None:
    emb = ClipEmbedder(tiny_clip["clip_model"], "", tiny_clip["checkpoint"], tiny_clip["clip_config"], "cpu",
                       runtime="torch")
    assert not emb._loaded  # creating it imports nothing heavy
    rows = emb.embed([scene(1), scene(2)])
    assert rows.shape == (2, 32) and emb.dim == 32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    # every weight is the checkpoint's: none is a random init, none left unset by the fast build
    saved = torch.load(tiny_clip["checkpoint"], weights_only=True)
    loaded = emb._model.state_dict()
    assert set(saved) == set(loaded)
    assert all(torch.equal(loaded[name], tensor) for name, tensor in saved.items())
    texts = emb.embed_texts(["a dog on the beach"])
    assert texts.shape == (1, 32)  # text and images share the space
    assert emb.id.startswith("clip-pf-tiny-clip-file-tiny.pt-")


def test_clip_offline_download_failure_says_what_to_do() -> None:
    # HF_HUB_OFFLINE=1 (conftest) makes the hub fail at once instead of after retries.
    emb = ClipEmbedder("ViT-B-32", "laion2b_s34b_b79k", device="cpu")
    with pytest.raises(ModelUnavailableError) as info:
        emb.ensure_loaded()
    assert "model.checkpoint" in str(info.value) and "effnet-lite0" in str(info.value)


def test_clip_unknown_architecture() -> None:
    with pytest.raises(UnknownModelError, match="ViT-Q-99"):
        ClipEmbedder("ViT-Q-99", "x", device="cpu").ensure_loaded()


@pytest.mark.slow
def test_int8_quantised_clip_stays_close_to_fp32(tiny_clip: dict[str, str]) -> None:
    args = (tiny_clip["clip_model"], "", tiny_clip["checkpoint"], tiny_clip["clip_config"], "cpu")
    fp32, int8 = ClipEmbedder(*args, runtime="torch"), ClipEmbedder(*args, quantize=True)
    assert int8.id == fp32.id + "-int8"  # its vectors get a collection of their own
    images = [scene(i, (96, 72)) for i in range(8)]
    a, b = fp32.embed(images), int8.embed(images)
    assert (a * b).sum(axis=1).min() >= 0.99
    assert type(int8._model.visual.transformer.resblocks[0].mlp.c_fc).__module__.startswith("torch.ao")


def test_the_registry_states_what_each_embedder_does(tiny_clip: dict[str, str]) -> None:
    settings = replace(load(env={}).model, **tiny_clip)
    for name, spec in MODELS.items():
        embedder = create_embedder(replace(settings, name=name))
        assert embedder.supports_text == spec.text, name
        if spec.input_size is not None:
            assert embedder.input_size == spec.input_size, name
    assert text_models() == ["clip", "clip-multilingual"]
