"""The model registry: one table from a model name to its factory and what it can do.

`model.name`'s allowed values, `search`'s text check and `eval`'s model list all read MODELS.
Kept free of numpy and torch: the config and a CLI that only talks to the daemon import it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from photofind.errors import UnknownModelError

if TYPE_CHECKING:
    from photofind.settings import ModelSettings
    from photofind.embedders.base import Embedder


def _clip(model: "ModelSettings") -> "Embedder":
    from photofind.embedders.clip import ClipEmbedder

    return ClipEmbedder(model.clip_model, model.pretrained, model.checkpoint, model.clip_config, model.device,
                        model.quantize, model.runtime, model.cache_dir, model.hub_repo)


def _clip_multilingual(model: "ModelSettings") -> "Embedder":
    """XLM-RoBERTa CLIP from its ready files: search in ~100 languages, no torch."""
    from photofind.embedders.catalog import ready
    from photofind.embedders.clip import ClipEmbedder

    spec = ready("clip-multilingual")
    assert spec is not None
    return ClipEmbedder(spec.arch, spec.pretrained, device=model.device, cache_dir=model.cache_dir,
                        hub_repo=spec.repo)


def _effnet(model: "ModelSettings") -> "Embedder":
    from photofind.embedders.effnet import EffnetLite0Embedder

    return EffnetLite0Embedder(model.device, model.runtime, model.cache_dir)


def _pixel(model: "ModelSettings") -> "Embedder":
    from photofind.embedders.pixel import PixelEmbedder

    return PixelEmbedder()


@dataclass(frozen=True)
class ModelSpec:
    name: str
    build: Callable[["ModelSettings"], "Embedder"]
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


def create_embedder(model: "ModelSettings") -> "Embedder":
    """Build the embedder `model.name` names. Nothing heavy is imported until it embeds."""
    return model_spec(model.name).build(model)


class Models:
    """Embedders by name, each built once: the configured model's settings with only the name
    swapped, so a daemon started with one model can answer a query for another."""

    def __init__(self, settings: "ModelSettings", build: Callable[["ModelSettings"], "Embedder"] = create_embedder):
        self.settings = settings
        self._build = build
        self._built: dict[str, "Embedder"] = {}

    def get(self, name: str | None = None) -> "Embedder":
        name = name or self.settings.name
        if name not in self._built:
            self._built[name] = self._build(replace(self.settings, name=name))
        return self._built[name]
