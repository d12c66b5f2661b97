"""ONNX Runtime sessions over an exported bundle: no torch, no open_clip.

`OnnxBundle` finds the bundle for a model's weights (or has it built once, through a callback
that imports torch), then opens each tower's session on first use, so `index` never loads the
text tower and `search` never loads the image tower. A file ONNX Runtime cannot load is
rebuilt once; a second failure is the caller's cue to use torch.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Callable

import numpy as np

from photofind.embedders.onnx_export import read_bundle
from photofind.errors import ModelUnavailableError

log = logging.getLogger("photofind.embedders")

CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def providers_for(device: str) -> list[str]:
    """The execution providers for model.device, as torch's resolve_device does for torch."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device in ("auto", "cuda") and CUDA in available:
        return [CUDA, CPU]
    if device == "cuda":
        raise ModelUnavailableError(
            "model.device is cuda but onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu); "
            "use --device cpu or auto, or model.runtime = torch"
        )
    return [CPU]


def make_session(path: Path, providers: list[str], intra_threads: int = 0) -> Any:
    """`intra_threads` 0: ONNX Runtime's default (all cores for one run)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: ORT's own notices are not the user's business
    if intra_threads:
        options.intra_op_num_threads = intra_threads
    # No weight pre-packing: measured here on ViT-B-32, it halves session creation (1.6 -> 0.8 s
    # image, 1.45 -> 0.6 s text) and keeps ~190 MB + ~100 MB less resident, at the same batch-32 speed.
    options.add_session_config_entry("session.disable_prepacking", "1")
    return ort.InferenceSession(str(path), options, providers=providers)


def cpu_session(path: Path) -> Any:
    return make_session(path, [CPU])


class OnnxBundle:
    """One model's exported towers. `build()` (re)exports them and returns the new sidecar;
    it may raise anything, which the embedder turns into its torch fallback."""

    def __init__(self, folder: Path, key: dict[str, Any], device: str, build: Callable[[], dict[str, Any]]) -> None:
        self.folder = folder
        self.key = key
        self.providers = providers_for(device)  # a cuda request without the provider fails here, clearly
        self._build = build
        self._lock = threading.Lock()
        self._sessions: dict[str, Any] = {}
        self.built_now = False
        self.meta = read_bundle(folder, key) or self._rebuild()

    def _rebuild(self) -> dict[str, Any]:
        from photofind.private import private_files

        with private_files():  # the exported files are 0600, whatever writes them (torch, onnx)
            self.meta = self._build()
        self.built_now = True
        return self.meta

    def has(self, tower: str) -> bool:
        return tower in self.meta.get("files", {})

    def session(self, tower: str) -> Any:
        with self._lock:
            if tower not in self._sessions:
                self._sessions[tower] = self._open(tower)
            return self._sessions[tower]

    def _open(self, tower: str) -> Any:
        if not self.built_now and read_bundle(self.folder, self.key) is None:
            self._rebuild()  # another process replaced the files since this one read the sidecar
        try:
            return make_session(self.folder / self.meta["files"][tower]["file"], self.providers)
        except Exception as exc:  # ORT raises its own types for a corrupt or foreign file
            if self.built_now:
                raise
            log.debug("cannot load %s: %s; rebuilding", self.folder / tower, exc)
        self._sessions.clear()  # sessions of the old files would mix with the new ones
        self._rebuild()
        return make_session(self.folder / self.meta["files"][tower]["file"], self.providers)

    def run(self, tower: str, x: np.ndarray) -> np.ndarray:
        session = self.session(tower)
        return session.run(None, {session.get_inputs()[0].name: x})[0]


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200] if text else ''}".rstrip(": ")


class OnnxPath:
    """What an embedder with an ONNX path shares: open the bundle, run a tower, and on any
    failure other than a user error say so once and leave the rest to the torch path."""

    id: str
    runtime: str
    _bundle: OnnxBundle | None = None

    def _open_bundle(self, folder: Path, key: Callable[[], dict[str, Any]], device: str,
                     build: Callable[[], dict[str, Any]]) -> bool:
        from photofind.errors import PhotofindError

        from photofind.private import private_dir, private_files

        try:
            private_dir(folder.parent.parent)  # the cache dir (<cache>/onnx/<bundle>): 0700
            with private_files():  # key() may write the weights-hash memo
                self._bundle = OnnxBundle(folder, key(), device, build)
            return True
        except PhotofindError:
            raise  # a wrong setting or missing weights fails the torch path too: say it as is
        except Exception as exc:
            self._fall_back(exc)
            return False

    def _fall_back(self, exc: BaseException) -> None:
        log.warning("%s runs on torch: its ONNX export is unavailable (%s)", self.id, one_line(exc))
        self._bundle = None
        self.runtime = "torch"

    def _load_torch(self) -> None:  # each embedder loads its torch model
        raise NotImplementedError

    def _torch_image_rows(self, batch: list[Any]) -> np.ndarray:  # the torch model's forward on a batch
        raise NotImplementedError

    def _embed_prepared(self, batch: list[Any]) -> np.ndarray:
        """Image rows from ONNX Runtime, or from torch when there is no usable export."""
        rows = self._run_onnx("image", np.stack(batch)) if self._bundle is not None else None
        if rows is not None:
            return rows
        self._load_torch()
        return self._torch_image_rows(batch)

    def _run_onnx(self, tower: str, x: np.ndarray) -> np.ndarray | None:
        """The tower's rows from ONNX Runtime, or None when the torch path must answer."""
        from photofind.errors import PhotofindError

        bundle = self._bundle
        if bundle is None or not bundle.has(tower):
            return None
        try:
            return bundle.run(tower, x)
        except PhotofindError:
            raise
        except Exception as exc:
            self._fall_back(exc)
            return None
