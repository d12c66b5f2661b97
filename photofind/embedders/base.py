"""The one interface every model implements: an id, a dimension, and batch -> unit rows."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Any, Sequence

import numpy as np
from PIL import Image


def l2_normalize(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


class Embedder(ABC):
    """Turns decoded RGB images into L2-normalised float32 rows.

    Embedding is split in two so the indexer can overlap them: `prepare` (per image,
    thread-safe, runs in decode workers) and `embed_prepared` (one batch, main thread).
    Heavy imports and weights load lazily, on first use, under a lock.
    """

    #: Smallest side the model looks at; JPEGs are draft-decoded down to just above it.
    input_size: int = 224
    #: Whether `embed_texts` works (CLIP's text tower).
    supports_text: bool = False

    def __init__(self) -> None:
        self._load_lock = threading.Lock()
        self._loaded = False

    @property
    @abstractmethod
    def id(self) -> str:
        """Names the model and its weights; vectors from different ids never share a collection."""

    @property
    @abstractmethod
    def dim(self) -> int:
        ...

    def ensure_loaded(self) -> None:
        if self._loaded:
            return
        with self._load_lock:
            if not self._loaded:
                self._load()
                self._loaded = True

    def _load(self) -> None:
        """Import and load whatever the model needs. Default: nothing."""

    @abstractmethod
    def prepare(self, image: Image.Image) -> Any:
        """One decoded image -> the model's input for it."""

    @abstractmethod
    def _embed_prepared(self, batch: list[Any]) -> np.ndarray:
        ...

    def embed_prepared(self, batch: list[Any]) -> np.ndarray:
        if not batch:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.ensure_loaded()
        return l2_normalize(self._embed_prepared(batch))

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Embed a batch of decoded images: shape (len(images), dim), unit rows."""
        return self.embed_prepared([self.prepare(im) for im in images])

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        from photofind.errors import UnknownModelError

        raise UnknownModelError(f"{self.id} has no text tower")
