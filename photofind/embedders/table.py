"""The model table: one row per model name, with its factory and what it can do.

`model.name`'s allowed values (photofind.settings), `search`'s text check and `eval`'s model
list all read MODELS. A leaf: it imports nothing of photofind at load time (the settings read
it), and each factory imports its embedder only when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from photofind.errors import UnknownModelError

if TYPE_CHECKING:
    from photofind.embedders.base import Embedder

# A factory takes photofind.settings.ModelSettings: typed Any here, because the settings
# import this table (for model.name's choices) and a leaf imports nothing back.
ModelSettings = Any


def _clip(model: ModelSettings) -> "Embedder":
    from photofind.embedders.clip import ClipEmbedder

    return ClipEmbedder(model.clip_model, model.pretrained, model.checkpoint, model.clip_config, model.device,
                        model.quantize, model.runtime, model.cache_dir, model.hub_repo)


def _clip_multilingual(model: ModelSettings) -> "Embedder":
    """XLM-RoBERTa CLIP from its ready files: search in ~100 languages, no torch."""
    from photofind.embedders.catalog import ready
    from photofind.embedders.clip import ClipEmbedder

    spec = ready("clip-multilingual")
    assert spec is not None
    return ClipEmbedder(spec.arch, spec.pretrained, device=model.device, cache_dir=model.cache_dir,
                        hub_repo=spec.repo)


def _effnet(model: ModelSettings) -> "Embedder":
    from photofind.embedders.effnet import EffnetLite0Embedder

    return EffnetLite0Embedder(model.device, model.runtime, model.cache_dir)


def _pixel(model: ModelSettings) -> "Embedder":
    from photofind.embedders.pixel import PixelEmbedder

    return PixelEmbedder()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    build: Callable[[ModelSettings], "Embedder"]
    text: bool  # has a text tower: `photofind search` works
    input_size: int | None  # the side it looks at; None: set by the architecture (model.clip_model)
    extra: str | None  # the pip extra it needs, if any
    offline: bool  # works with no network on first use


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("clip", _clip, text=True, input_size=None, extra=None, offline=False),
        ModelSpec("clip-multilingual", _clip_multilingual, text=True, input_size=224, extra=None, offline=False),
        ModelSpec("effnet-lite0", _effnet, text=False, input_size=224, extra="offline", offline=True),
        ModelSpec("pixel", _pixel, text=False, input_size=64, extra=None, offline=True),
    )
}


def text_models() -> list[str]:
    return [name for name, spec in MODELS.items() if spec.text]


def model_of(embedder_id: str) -> str | None:
    """The registry name behind an embedder id ("effnet-lite0-imagenet" -> "effnet-lite0"): every
    embedder's id starts with its model's name and a dash. None for an id no model makes."""
    return next((name for name in MODELS if embedder_id.startswith(name + "-")), None)


def model_spec(name: str) -> ModelSpec:
    spec = MODELS.get(name)
    if spec is None:
        raise UnknownModelError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    return spec
