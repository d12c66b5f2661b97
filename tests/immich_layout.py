"""Hub files in Immich's layout, exported here from a random-weight tiny open_clip model.

The export follows Immich's own exporter (immich-app/immich, machine-learning/export/
immich_model_exporter/exporters/onnx/models/openclip.py): `encode_image(normalize=True)` with
input "image" (1, 3, H, W), `encode_text(normalize=True)` with input "text" int32
(1, context_length), output "embedding", batch fixed at 1; config.json is open_clip's model
config, visual/preprocess_cfg.json its preprocess config. The tokenizer files are built by the
caller (the tests), since nothing can be downloaded here."""

from __future__ import annotations

import io
import json
import warnings
from typing import Any


def export_immich_repo(model: Any, model_config: dict[str, Any], repo_id: str,
                       tokenizer_json: str, tokenizer_config: dict[str, Any]) -> dict[str, bytes]:
    """{"<repo_id>/<path>": bytes} for a FakeHub."""
    import open_clip
    import torch

    torch.backends.mha.set_fastpath_enabled(False)  # as Immich's exporter: the fused kernel has no ONNX form
    model = model.eval()
    side = model_config["vision_cfg"]["image_size"]
    context = model_config["text_cfg"].get("context_length", 77)

    class Image(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, image: Any) -> Any:
            return self.m.encode_image(image, normalize=True)

    class Text(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.m = model

        def forward(self, text: Any) -> Any:
            return self.m.encode_text(text, normalize=True)

    def onnx(module: Any, sample: Any, name: str) -> bytes:
        out = io.BytesIO()
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (sample,), out, input_names=[name], output_names=["embedding"],
                              opset_version=17, dynamo=False)
        return out.getvalue()

    files = {
        "config.json": json.dumps(model_config).encode(),
        "visual/preprocess_cfg.json": json.dumps(open_clip.get_model_preprocess_cfg(model)).encode(),
        "visual/model.onnx": onnx(Image(), torch.randn(1, 3, side, side), "image"),
        "textual/model.onnx": onnx(Text(), torch.ones(1, context, dtype=torch.int32), "text"),
        "textual/tokenizer.json": tokenizer_json.encode(),
        "textual/tokenizer_config.json": json.dumps(tokenizer_config).encode(),
    }
    return {f"{repo_id}/{name}": data for name, data in files.items()}
