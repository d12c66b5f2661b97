"""The tutorial's method (I): the picture itself, squashed to a tiny fixed size. No model.

Instant and deterministic; finds exact and near-exact copies (resized, re-encoded), and is
the reference embedder for tests because its output can be computed by hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PIL import Image

from photofind.embedders.base import Embedder


class PixelEmbedder(Embedder):
    def __init__(self, size: int = 32) -> None:
        super().__init__()
        self.size = size
        self.input_size = 2 * size

    @property
    def id(self) -> str:
        return f"pixel-{self.size}"

    @property
    def dim(self) -> int:
        return 3 * self.size * self.size

    def prepare(self, image: Image.Image) -> Any:
        small = image.convert("RGB").resize((self.size, self.size), Image.Resampling.BILINEAR)
        return np.asarray(small, dtype=np.float32).reshape(-1) / 255.0

    def _embed_prepared(self, batch: list[Any]) -> np.ndarray:
        return np.stack(batch)
