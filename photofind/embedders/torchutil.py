"""Small torch helpers shared by the torch-backed embedders (imported only once one loads)."""

from __future__ import annotations

from typing import Any

from photofind.errors import ModelUnavailableError


def resolve_device(requested: str) -> str:
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise ModelUnavailableError("model.device is cuda but torch sees no CUDA GPU; use --device cpu or auto")
    return requested


def run_batch(model: Any, batch: list[Any], device: str, channels_last: bool = False) -> Any:
    """Stack prepared tensors, run `model` without autograd, return float32 numpy rows."""
    import torch

    with torch.inference_mode():
        x = torch.stack(batch).to(device, non_blocking=True)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return model(x).float().cpu().numpy()
