"""Image preprocessing in PIL + numpy, giving the numbers torchvision's transforms give.

The ONNX path runs without torch, so open_clip's transform (resize the short side, centre
crop, normalise) and effnet-lite0's squash resize are rebuilt here from the same PIL calls
torchvision makes on PIL images; tests/test_onnx.py checks both against the torch transforms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from PIL import Image

_RESAMPLE = {"bicubic": Image.Resampling.BICUBIC, "bilinear": Image.Resampling.BILINEAR}


class UnsupportedTransform(ValueError):
    """A torch transform this module cannot reproduce exactly."""


@dataclass(frozen=True)
class Preprocess:
    height: int
    width: int
    mode: str  # "shortest": short side to size, then centre crop; "squash": straight to (h, w)
    interpolation: str  # a key of _RESAMPLE
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    def __post_init__(self) -> None:
        if self.mode not in ("shortest", "squash") or self.interpolation not in _RESAMPLE:
            raise UnsupportedTransform(f"unsupported preprocessing {self.mode}/{self.interpolation}")

    def __call__(self, image: Image.Image) -> np.ndarray:
        """One PIL image -> float32 array (3, height, width), normalised."""
        resample = _RESAMPLE[self.interpolation]
        if self.mode == "squash":
            image = image.resize((self.width, self.height), resample)
        else:
            image = self._resize_short_side(image, resample)
            image = self._centre_crop(image)
        if image.mode != "RGB":  # open_clip converts after resizing, so this does too
            image = image.convert("RGB")
        x = np.asarray(image, dtype=np.uint8).astype(np.float32) / np.float32(255.0)
        x = (x - np.asarray(self.mean, dtype=np.float32)) / np.asarray(self.std, dtype=np.float32)
        return np.ascontiguousarray(x.transpose(2, 0, 1))

    def _resize_short_side(self, image: Image.Image, resample: Image.Resampling) -> Image.Image:
        # torchvision's _compute_resized_output_size for an int size (open_clip uses a square size).
        size = min(self.height, self.width)
        w, h = image.size
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = size, int(size * long / short)
        new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
        return image.resize((new_w, new_h), resample)

    def _centre_crop(self, image: Image.Image) -> Image.Image:
        w, h = image.size
        if w < self.width or h < self.height:  # torchvision pads with zeros first
            padded = Image.new(image.mode, (max(w, self.width), max(h, self.height)))
            left, top = (padded.width - w) // 2, (padded.height - h) // 2
            padded.paste(image, (left, top))
            image, (w, h) = padded, padded.size
        top = int(round((h - self.height) / 2.0))
        left = int(round((w - self.width) / 2.0))
        return image.crop((left, top, left + self.width, top + self.height))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Preprocess":
        return cls(**{**data, "mean": tuple(data["mean"]), "std": tuple(data["std"])})


def from_torchvision(compose: Any) -> Preprocess:
    """Read a torchvision Compose (open_clip's or effnet's) into a Preprocess, or refuse.

    Only the steps reproduced above are accepted; anything else raises UnsupportedTransform, and
    the caller keeps the torch path."""
    size: Any = None
    crop: Any = None
    interpolation = ""
    mean = std = None
    for step in compose.transforms:
        name = type(step).__name__
        if name == "Resize":
            size, interpolation = step.size, step.interpolation.value
            if getattr(step, "max_size", None) is not None:
                raise UnsupportedTransform("Resize with max_size")
        elif name == "CenterCrop":
            crop = tuple(step.size)
        elif name == "Normalize":
            mean, std = tuple(float(v) for v in step.mean), tuple(float(v) for v in step.std)
        elif name in ("ToTensor", "MaybeToTensor"):
            continue
        elif name == "MaybeConvertMode" and getattr(step, "mode", "RGB") == "RGB":
            continue
        elif name == "function" and getattr(step, "__name__", "") == "_convert_to_rgb":
            continue
        else:
            raise UnsupportedTransform(f"transform step {name}")
    if size is None or mean is None or std is None or len(mean) != 3:
        raise UnsupportedTransform("no Resize or Normalize step")
    if isinstance(size, int) or (isinstance(size, (list, tuple)) and len(size) == 1):
        side = size if isinstance(size, int) else size[0]
        if crop is None or crop != (side, side):
            raise UnsupportedTransform(f"resize {side} with crop {crop}")
        return Preprocess(side, side, "shortest", interpolation, mean, std)  # type: ignore[arg-type]
    if crop is not None and crop != tuple(size):
        raise UnsupportedTransform(f"resize {size} with crop {crop}")
    return Preprocess(int(size[0]), int(size[1]), "squash", interpolation, mean, std)  # type: ignore[arg-type]
