"""Model registry: a name from config or --model to a ready (lazily loading) embedder."""

from __future__ import annotations

from pathlib import Path

from photofind.config import MODEL_NAMES, ModelSettings
from photofind.embedders.base import Embedder, l2_normalize
from photofind.errors import UnknownModelError


__all__ = ["Embedder", "MODEL_NAMES", "create_embedder", "l2_normalize"]


def create_embedder(model: ModelSettings, cache_dir: Path | None = None) -> Embedder:
    """Build the embedder `model.name` names. Nothing heavy is imported until it embeds.
    `cache_dir` (default: model.cache_dir, else the platform cache dir) holds ONNX exports."""
    cache_dir = cache_dir or model.cache_dir
    if model.name == "clip":
        from photofind.embedders.clip import ClipEmbedder

        return ClipEmbedder(
            model.clip_model, model.pretrained, model.checkpoint, model.clip_config, model.device, model.quantize,
            model.runtime, cache_dir,
        )
    if model.name == "effnet-lite0":
        from photofind.embedders.effnet import EffnetLite0Embedder

        return EffnetLite0Embedder(model.device, model.runtime, cache_dir)
    if model.name == "pixel":
        from photofind.embedders.pixel import PixelEmbedder

        return PixelEmbedder()
    raise UnknownModelError(f"unknown model {model.name!r}; choose one of: {', '.join(MODEL_NAMES)}")
