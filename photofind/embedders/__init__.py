"""The embedders: each model built once by name (Models), from the table in table.py.

Kept free of numpy and torch: the config and a CLI that only talks to the daemon import it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from photofind.embedders.table import MODELS, ModelSpec, model_of, model_spec, text_models

__all__ = ["MODELS", "ModelSpec", "Models", "create_embedder", "model_of", "model_spec", "text_models"]

if TYPE_CHECKING:
    from photofind.settings import ModelSettings
    from photofind.embedders.base import Embedder


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
