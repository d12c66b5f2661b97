"""CLIP through open_clip: the default model, and the only one with a text tower.

`ViT-B-32` / `laion2b_s34b_b79k` is the model behind chromadb's OpenCLIPEmbeddingFunction,
which the original tutorial used. open_clip downloads the weights on first use; a local
checkpoint file (`model.checkpoint`) works offline, and `model.clip_config` registers a
custom architecture JSON (the tests use it for a tiny random-weight model).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image

from photofind.embedders.base import Embedder, l2_normalize
from photofind.embedders.torchutil import resolve_device, run_batch, skip_weight_init
from photofind.errors import InputError, ModelUnavailableError, UnknownModelError


class ClipEmbedder(Embedder):
    supports_text = True

    def __init__(
        self,
        model_name: str = "ViT-B-32",
        pretrained: str = "laion2b_s34b_b79k",
        checkpoint: str = "",
        clip_config: str = "",
        device: str = "auto",
        quantize: bool = False,
    ) -> None:
        super().__init__()
        self.quantize = quantize
        self.model_name = model_name
        self.pretrained = pretrained
        self.checkpoint = os.path.expanduser(checkpoint) if checkpoint else ""
        self.clip_config = os.path.expanduser(clip_config) if clip_config else ""
        self._requested_device = device
        self._device = "cpu"
        self._model: Any = None
        self._preprocess: Any = None
        self._tokenizer: Any = None
        self._dim: int | None = None

    @property
    def id(self) -> str:
        suffix = "-int8" if self.quantize else ""
        if self.checkpoint:
            # A checkpoint is named by file name and size: cheap, and changes when the file does.
            try:
                size = Path(self.checkpoint).stat().st_size
            except OSError:
                size = 0
            return f"clip-{self.model_name}-file-{Path(self.checkpoint).name}-{size}{suffix}"
        return f"clip-{self.model_name}-{self.pretrained}{suffix}"

    @property
    def dim(self) -> int:
        self.ensure_loaded()
        assert self._dim is not None
        return self._dim

    def _load(self) -> None:
        import open_clip

        if self.clip_config:
            if not Path(self.clip_config).is_file():
                raise InputError(f"model.clip_config {self.clip_config} does not exist")
            open_clip.add_model_config(self.clip_config)
        if self.model_name not in open_clip.list_models():
            raise UnknownModelError(
                f"open_clip has no model named {self.model_name!r} (see open_clip.list_models())"
            )
        if self.checkpoint and not Path(self.checkpoint).is_file():
            raise InputError(f"model.checkpoint {self.checkpoint} does not exist")
        self._device = resolve_device(self._requested_device)
        weights = self.checkpoint or self.pretrained
        try:
            with skip_weight_init():  # every weight comes from `weights`, loaded strictly
                model, _, preprocess = open_clip.create_model_and_transforms(
                    self.model_name, pretrained=weights, device=self._device
                )
        except Exception as exc:  # open_clip raises RuntimeError/OSError/HF errors for a failed fetch
            if self.checkpoint:
                raise ModelUnavailableError(f"cannot load CLIP checkpoint {self.checkpoint}: {exc}") from None
            raise ModelUnavailableError(
                f"could not download CLIP weights {self.model_name}/{self.pretrained} (no internet?): "
                "set model.checkpoint to a local weights file, or use the offline model with --model effnet-lite0"
            ) from exc
        self._model = model.eval()
        if self.quantize:
            self._quantize_image_tower()
        self._preprocess = preprocess
        self._tokenizer = open_clip.get_tokenizer(self.model_name)
        self._dim = int(getattr(model.visual, "output_dim", 0)) or self._probe_dim()

    def _quantize_image_tower(self) -> None:
        """int8 dynamic quantisation of the image tower's Linear layers (CPU inference only)."""
        import warnings

        import torch

        if self._device != "cpu":
            raise ModelUnavailableError("model.quantize works on the CPU only; set model.device = cpu")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.ao.quantization announces its successor
            self._model.visual = torch.ao.quantization.quantize_dynamic(
                self._model.visual, {torch.nn.Linear}, dtype=torch.qint8
            )

    def _probe_dim(self) -> int:
        import torch

        size = self._preprocess.transforms[0].size
        side = size if isinstance(size, int) else size[0]
        with torch.inference_mode():
            return int(self._model.encode_image(torch.zeros(1, 3, side, side, device=self._device)).shape[1])

    @property
    def input_size(self) -> int:  # type: ignore[override]
        if not self._loaded:
            return 224
        size = self._preprocess.transforms[0].size
        return size if isinstance(size, int) else max(size)

    def prepare(self, image: Image.Image) -> Any:
        self.ensure_loaded()
        return self._preprocess(image)

    def _embed_prepared(self, batch: list[Any]) -> np.ndarray:
        return run_batch(self._model.encode_image, batch, self._device)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        self.ensure_loaded()
        with torch.inference_mode():
            tokens = self._tokenizer(list(texts)).to(self._device)
            return l2_normalize(self._model.encode_text(tokens).float().cpu().numpy())
