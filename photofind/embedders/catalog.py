"""The models photofind offers ready-made, with what a person needs to choose one.

Ready CLIP models are Immich's public ONNX exports of open_clip weights on the Hugging Face hub
(`immich-app/<name>`: config.json, visual/ and textual/ towers with their preprocessing and
tokenizer files; see docs/models.md). Accuracy figures are the publishers', never measured here:
ImageNet-1k zero-shot top-1 from open_clip's own results table. Download sizes are approximate
(fp32 weights) until the files are in the cache, where `photofind models` reads the real ones.
images/s are measured here by scripts/bench.py (date and machine in docs/performance.md).

Kept free of numpy and torch: the CLI lists this table without loading anything.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN_CLIP_RESULTS = "open_clip's docs/openclip_results.csv"


# `index` images/s of the ready ViT-B-32 files, scripts/bench.py --light, 2026-12-06, a 2-vCPU VM
# under a load average of 5-7 from other jobs (docs/performance.md): a quiet machine is faster.
IMAGES_PER_S = 1.7


@dataclass(frozen=True)
class Ready:
    name: str  # photofind's model name (--model)
    repo: str  # the hub repository of the ONNX exports; "" for a model without ready files
    arch: str  # open_clip architecture and pretrained tag the files were exported from
    pretrained: str
    dim: int
    languages: str
    download_mb: tuple[int, int]  # (image tower and config, text tower and tokenizer), approx.
    imagenet: float | None  # ImageNet-1k zero-shot top-1, the publisher's figure
    source: str
    images_per_s: float | None  # measured here by scripts/bench.py (docs/performance.md)
    extra: str | None = None  # the pip extra it needs


READY: tuple[Ready, ...] = (
    Ready("clip", "immich-app/ViT-B-32__laion2b-s34b-b79k", "ViT-B-32", "laion2b_s34b_b79k", 512,
          "English", (352, 254), 66.56, OPEN_CLIP_RESULTS, IMAGES_PER_S),
    Ready("clip-multilingual", "immich-app/XLM-Roberta-Base-ViT-B-32__laion5b_s13b_b90k",
          "xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k", 512,
          "~100 (XLM-RoBERTa's: vi, es, ja …)", (352, 1113), 62.36,
          OPEN_CLIP_RESULTS, IMAGES_PER_S),  # the same ViT-B-32 image tower
    Ready("effnet-lite0", "", "efficientnet-lite0", "imagenet", 1280, "none: photos only",
          (19, 0), None, "no text tower, so no zero-shot figure", None, extra="offline"),
)


def ready(name: str) -> Ready | None:
    return next((r for r in READY if r.name == name), None)


def ready_repo(arch: str, pretrained: str) -> str | None:
    """The ready exports of open_clip's `arch`/`pretrained`, if there are any."""
    for r in READY:
        if r.repo and r.arch.lower() == arch.lower() and r.pretrained == pretrained:
            return r.repo
    return None
