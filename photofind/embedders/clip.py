"""CLIP: the default model, and the models with a text tower.

Two ways to the same kind of vectors, each with its own embedder id (vectors never mix):
- ready ONNX files from the hub (ready_clip.py, Immich's exports): the default for the models in
  catalog.READY, and for `model.hub_repo`; no torch, no export step;
- open_clip in torch (`pip install 'photofind[torch]'`): any architecture, pretrained tag or
  checkpoint, exported locally to ONNX once (runtime "onnx") or run in torch (runtime "torch",
  model.quantize). `model.clip_config` registers a custom architecture JSON (the tests' tiny one).
`ViT-B-32` / `laion2b_s34b_b79k` is the default, the model behind chromadb's
OpenCLIPEmbeddingFunction, which the original tutorial used.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image

from photofind.embedders.base import Embedder, l2_normalize
from photofind.embedders.onnx_runtime import OnnxPath, one_line
from photofind.embedders.torchutil import resolve_device, run_batch, skip_weight_init
from photofind.embedders.weights import ADVICE
from photofind.errors import InputError, ModelUnavailableError, UnknownModelError

PROBE_TEXTS = (
    "a dog on the beach",
    "Ünïcödé café &amp; naïve — 東京タワー at night, 3.14 o'clock!",
    "a very long caption " * 30,  # past the context length: truncation
)


class ClipEmbedder(OnnxPath, Embedder):
    supports_text = True

    def __init__(
        self,
        model_name: str = "ViT-B-32",
        pretrained: str = "laion2b_s34b_b79k",
        checkpoint: str = "",
        clip_config: str = "",
        device: str = "auto",
        quantize: bool = False,
        runtime: str = "onnx",
        cache_dir: Path | None = None,
        hub_repo: str = "",
    ) -> None:
        super().__init__()
        self.hub_repo = hub_repo
        self.quantize = quantize
        self.model_name = model_name
        self.pretrained = pretrained
        self.checkpoint = os.path.expanduser(checkpoint) if checkpoint else ""
        self.clip_config = os.path.expanduser(clip_config) if clip_config else ""
        # model.quantize is torch's dynamic int8 (docs/performance.md): it keeps the torch path.
        self.runtime = "torch" if quantize else runtime
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._requested_device = device
        self._device = "cpu"
        self._model: Any = None
        self._preprocess: Any = None
        self._tokenizer: Any = None
        self._np_preprocess: Any = None  # the ONNX path's numpy preprocessing
        self._np_tokenizer: Any = None
        self._dim: int | None = None
        self._ready: Any = None  # ReadyClip, on the ready-file path

    @property
    def ready_repo(self) -> str | None:
        """The hub repository of ready ONNX files this embedder uses, or None (open_clip's path)."""
        if self.hub_repo == LOCAL:
            return None
        if self.hub_repo:
            return self.hub_repo
        if self.runtime != "onnx" or self.checkpoint or self.clip_config:
            return None
        from photofind.embedders.catalog import ready_repo

        return ready_repo(self.model_name, self.pretrained)

    @property
    def id(self) -> str:
        repo = self.ready_repo
        if repo:  # other files than a local export's: their own collection unless shown equal
            return f"clip-onnx-{repo}"
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
        repo = self.ready_repo
        if repo:
            from photofind.embedders.onnx_runtime import make_session, providers_for
            from photofind.embedders.ready_clip import ReadyClip

            providers = providers_for(self._requested_device)
            # Immich's files take one row at a time: on the CPU, rows side by side, one thread each
            workers = 1 if providers[0] != "CPUExecutionProvider" else max(1, os.cpu_count() or 1)
            threads = 1 if workers > 1 else 0
            self._ready = ReadyClip(repo, self._label(), lambda path: make_session(path, providers, threads), workers)
            self._dim = self._ready.dim
            return
        self._check_files()
        _need_torch(self._label())
        if self.runtime == "onnx" and self._load_onnx():
            return
        self._load_torch()

    def _label(self) -> str:
        return self.hub_repo if self.hub_repo and self.hub_repo != LOCAL else f"{self.model_name}/{self.pretrained}"

    def _check_files(self) -> None:
        if self.clip_config and not Path(self.clip_config).is_file():
            raise InputError(f"model.clip_config {self.clip_config} does not exist")
        if self.checkpoint and not Path(self.checkpoint).is_file():
            raise InputError(f"model.checkpoint {self.checkpoint} does not exist")

    # -- ONNX Runtime -------------------------------------------------------------------------
    def _load_onnx(self) -> bool:
        from photofind.locations import default_cache_dir
        from photofind.embedders.onnx_export import bundle_dir
        from photofind.embedders.preprocess import Preprocess

        cache = self.cache_dir or default_cache_dir()
        source = self.pretrained if not self.checkpoint else "file-" + _short_hash(str(Path(self.checkpoint).resolve()))
        folder = bundle_dir(cache, f"clip-{self.model_name}-{source}")
        if not self._open_bundle(folder, lambda: self._weights_key(cache), self._requested_device,
                                 lambda: self._export(folder, cache)):
            return False
        assert self._bundle is not None
        meta = self._bundle.meta
        self._np_preprocess = Preprocess.from_json(meta["preprocess"])
        self._dim = int(meta["dim"])
        return True

    def _weights_key(self, cache: Path) -> dict[str, Any]:
        """What the exported files were built from; any change means a rebuild."""
        from importlib.metadata import version

        from photofind.embedders.onnx_export import EXPORT_FORMAT, file_sha256

        key: dict[str, Any] = {"format": EXPORT_FORMAT, "model": self.model_name, "open_clip": version("open_clip_torch")}
        if self.checkpoint:
            key["checkpoint_sha256"] = file_sha256(Path(self.checkpoint), cache)
        else:
            key["pretrained"] = self.pretrained
        if self.clip_config:
            key["config_sha256"] = hashlib.sha256(Path(self.clip_config).read_bytes()).hexdigest()
        return key

    def _export(self, folder: Path, cache: Path) -> dict[str, Any]:
        import torch

        from photofind.embedders.preprocess import from_torchvision

        self._load_torch("cpu")  # exported and checked on the CPU whatever the device
        try:
            return self._export_towers(folder, cache, torch, from_torchvision(self._preprocess))
        finally:
            self._model = None  # free the torch copy; a torch fallback loads its own for its device

    def _export_towers(self, folder: Path, cache: Path, torch: Any, prep: Any) -> dict[str, Any]:
        from photofind.embedders.onnx_export import Tower, build_bundle, probe_images
        from photofind.embedders.onnx_runtime import cpu_session
        from photofind.embedders.text_tokenizer import TextTokenizer, clip_bpe_tokenizer, open_clip_vocab

        model = self._model
        images = probe_images()
        with torch.inference_mode():
            ref_images = model.encode_image(torch.stack([self._preprocess(im) for im in images])).float().numpy()
        image = Tower("image", _Tower(model.encode_image), torch.zeros(1, 3, prep.height, prep.width), "pixels",
                      np.stack([prep(im) for im in images]), ref_images)
        towers = [image]
        context = int(getattr(self._tokenizer, "context_length", 0) or 77)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            clip_bpe_tokenizer(open_clip_vocab()).save(str(folder / TOKENIZER))
            mine = TextTokenizer(folder / TOKENIZER, context, clip_bpe=True)(list(PROBE_TEXTS))
            same_tokens = np.array_equal(mine, self._tokenizer(list(PROBE_TEXTS)).numpy())
        except Exception:  # another tokenizer family (e.g. Hugging Face's): text stays on torch
            same_tokens = False
        if same_tokens:
            with torch.inference_mode():
                ref_texts = model.encode_text(torch.from_numpy(mine)).float().numpy()
            towers.append(Tower("text", _Tower(model.encode_text), torch.from_numpy(mine[:1]), "tokens", mine, ref_texts))
        extra = {"model_id": self.id, "dim": self._dim, "preprocess": prep.to_json(), "context_length": context}
        return build_bundle(folder, self._weights_key(cache), towers, extra, cpu_session)

    # -- torch --------------------------------------------------------------------------------
    def _load_torch(self, device: str | None = None) -> None:
        """open_clip's model, transform and tokenizer (also the export's source and reference)."""
        if self._model is not None:
            return
        import open_clip

        if self.clip_config:
            open_clip.add_model_config(self.clip_config)
        if self.model_name not in open_clip.list_models():
            raise UnknownModelError(
                f"open_clip has no model named {self.model_name!r} (see open_clip.list_models())"
            )
        self._device = device or resolve_device(self._requested_device)
        weights = self.checkpoint or self.pretrained
        offline = False
        if not self.checkpoint:
            from photofind.embedders.weights import ensure_cached

            offline = ensure_cached(self.model_name, self.pretrained)  # cached, fetched now, or one line in seconds
        try:
            with skip_weight_init(), _hub_off(offline):  # every weight comes from `weights`, loaded strictly
                model, _, preprocess = open_clip.create_model_and_transforms(
                    self.model_name, pretrained=weights, device=self._device
                )
        except Exception as exc:  # open_clip raises RuntimeError/OSError/HF errors for a failed fetch
            if self.checkpoint:
                raise ModelUnavailableError(f"cannot load CLIP checkpoint {self.checkpoint}: {exc}") from None
            if offline:  # the file is in the hub's cache, and open_clip could not read it
                raise ModelUnavailableError(
                    f"cannot load CLIP weights {self.model_name}/{self.pretrained} from the Hugging Face cache "
                    f"({one_line(exc)}); delete them there to download them again, or {ADVICE}"
                ) from None
            raise ModelUnavailableError(
                f"could not download CLIP weights {self.model_name}/{self.pretrained} (no internet?): {ADVICE}"
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
        if self._ready is not None:
            prep = self._ready.preprocess
            return max(prep.height, prep.width) if prep is not None else 224
        if self._np_preprocess is not None:
            return max(self._np_preprocess.height, self._np_preprocess.width)
        size = self._preprocess.transforms[0].size
        return size if isinstance(size, int) else max(size)

    def prepare(self, image: Image.Image) -> Any:
        self.ensure_loaded()
        if self._ready is not None:
            self._ready.image_tower()  # fetched, checked and its preprocessing read, once
            return self._ready.preprocess(image)
        if self._np_preprocess is not None:  # numpy, equal to open_clip's transform
            return self._np_preprocess(image)
        return self._preprocess(image)

    def _torch_image_rows(self, batch: list[Any]) -> np.ndarray:
        import torch

        tensors = [torch.from_numpy(b) if isinstance(b, np.ndarray) else b for b in batch]
        return run_batch(self._model.encode_image, tensors, self._device)

    def _embed_prepared(self, batch: list[Any]) -> np.ndarray:
        if self._ready is not None:
            return self._ready.embed_images(np.stack(batch))
        return super()._embed_prepared(batch)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.ensure_loaded()
        if self._ready is not None:
            return l2_normalize(self._ready.embed_texts(texts))
        if self._bundle is not None and self._bundle.has("text"):
            if self._np_tokenizer is None:
                from photofind.embedders.text_tokenizer import TextTokenizer

                self._np_tokenizer = TextTokenizer(self._bundle.folder / TOKENIZER,
                                                   int(self._bundle.meta["context_length"]), clip_bpe=True)
            rows = self._run_onnx("text", self._np_tokenizer(list(texts)))
            if rows is not None:
                return l2_normalize(rows)
        import torch

        self._load_torch()
        with torch.inference_mode():
            tokens = self._tokenizer(list(texts)).to(self._device)
            return l2_normalize(self._model.encode_text(tokens).float().cpu().numpy())


LOCAL = "local"  # model.hub_repo: no ready files; open_clip's weights, exported here (the torch extra)
TOKENIZER = "tokenizer.json"  # the local export's CLIP BPE tokenizer, beside its text tower


def _need_torch(label: str) -> None:
    """open_clip's path needs the torch extra: say so in one line, not with an ImportError."""
    import importlib.util

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("open_clip") is None:
        raise ModelUnavailableError(
            f"CLIP {label} has no ready ONNX files, so it needs open_clip in torch: pip install 'photofind[torch]' "
            f"(or use a ready model: photofind models)")


def _hub_off(off: bool) -> Any:
    """The hub switched off while open_clip reads the weights `ensure_cached` put in its cache."""
    from contextlib import nullcontext

    from photofind.embedders.weights import hub_offline

    return hub_offline() if off else nullcontext()


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _Tower(encode: Any) -> Any:
    """A torch module whose forward is one of CLIP's encoders, for torch.onnx.export."""
    import torch

    class Tower(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.owner = encode.__self__  # registers the weights as this module's

        def forward(self, x: Any) -> Any:
            return encode(x)

    return Tower()
