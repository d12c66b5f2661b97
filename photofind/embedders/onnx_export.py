"""Export a model's towers to ONNX once, verify them against torch, cache them atomically.

A bundle is one folder under `<cache_dir>/onnx/`, named after the model and where its weights
come from (pretrained tag or checkpoint path), holding `<tower>.onnx` files and `meta.json`.
The sidecar is written last and records the weights' identity (`key`: pretrained tag, or the
checkpoint's sha256, plus the library version and EXPORT_FORMAT), each file's size and the
verified cosine. A bundle is used only if its key matches and every file has its recorded
size; anything else (other weights, a truncated or half-written file) is rebuilt in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

EXPORT_FORMAT = 2  # 2: tokenizer.json beside the text tower. Bump when the exported graphs or the sidecar change meaning
OPSET = 17
MIN_COSINE = 0.9999  # torch vs ONNX, end to end (preprocessing included); also the shared-id bar
SIDECAR = "meta.json"


class ExportError(Exception):
    """The export, its check against torch, or writing it failed: the caller keeps torch."""


@dataclass
class Tower:
    """One network to export: `module(sample)` traces it; the check feeds `check_input` (made
    the ONNX path's way, in numpy) and compares with `reference` (the torch path's output)."""

    name: str  # "image" or "text"; also the file name
    module: Any
    sample: Any
    input_name: str
    check_input: np.ndarray
    reference: np.ndarray


def probe_images() -> list[Any]:
    """A few deterministic photo-like images of several sizes and shapes, to check an export
    end to end (preprocessing included) without shipping files."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(1234)
    images = []
    for w, h in ((320, 240), (200, 300), (224, 224), (97, 61)):
        coarse = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
        im = Image.fromarray(coarse, "RGB").resize((w, h), Image.Resampling.BICUBIC)
        draw = ImageDraw.Draw(im)
        for _ in range(4):
            x, y, r = int(rng.integers(0, w)), int(rng.integers(0, h)), int(rng.integers(5, max(6, h // 3)))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        noisy = np.asarray(im, dtype=np.int16) + rng.integers(-10, 11, (h, w, 3))
        images.append(Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB"))
    return images


def bundle_dir(cache_dir: Path, label: str) -> Path:
    return Path(cache_dir) / "onnx" / re.sub(r"[^A-Za-z0-9._-]+", "_", label)[:120]


def file_sha256(path: Path, cache_dir: Path) -> str:
    """sha256 of a (large) weights file, remembered by (path, size, mtime) so a start-up does not
    re-read 600 MB; a changed file has a new size or mtime and is hashed again."""
    path = Path(path).resolve()
    st = path.stat()
    memo_file = Path(cache_dir) / "onnx" / "hashes.json"
    try:
        memo = json.loads(memo_file.read_text())
    except (OSError, ValueError):
        memo = {}
    seen = memo.get(str(path))
    if seen and seen.get("size") == st.st_size and seen.get("mtime_ns") == st.st_mtime_ns:
        return str(seen["sha256"])
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    memo[str(path)] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest.hexdigest()}
    try:
        _write_atomic(memo_file, json.dumps(memo, indent=1).encode())
    except OSError:
        pass  # a read-only cache only costs the re-hash next time
    return digest.hexdigest()


def read_bundle(folder: Path, key: dict[str, Any]) -> dict[str, Any] | None:
    """The sidecar if the bundle is complete and was built from these weights, else None."""
    try:
        meta = json.loads((folder / SIDECAR).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("key") != key:
        return None
    for name, info in meta.get("files", {}).items():
        try:
            if (folder / info["file"]).stat().st_size != info["size"]:
                return None  # truncated, or replaced by a crash mid-rebuild
        except (OSError, KeyError, TypeError):
            return None
    return meta


def build_bundle(
    folder: Path,
    key: dict[str, Any],
    towers: list[Tower],
    extra: dict[str, Any],
    session_factory: Callable[[Path], Any],
) -> dict[str, Any]:
    """Export every tower, check it, then move it into place; the sidecar goes last.

    Raises ExportError (or OSError for an unwritable cache); nothing half-written is left
    where `read_bundle` would accept it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SIDECAR).unlink(missing_ok=True)  # from here the old files count as stale
    files: dict[str, dict[str, Any]] = {}
    verified: dict[str, float] = {}
    for tower in towers:
        final = folder / f"{tower.name}.onnx"
        tmp = folder / f".{tower.name}.onnx.{os.getpid()}.tmp"
        try:
            _export(tower, tmp)
            _fsync(tmp)
            verified[tower.name] = check(session_factory(tmp), tower)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        files[tower.name] = {"file": final.name, "size": final.stat().st_size}
    meta = {"format": EXPORT_FORMAT, "key": key, "files": files, "verified_cosine": verified,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S"), **extra}
    _write_atomic(folder / SIDECAR, json.dumps(meta, indent=1).encode())
    return meta


def _export(tower: Tower, path: Path) -> None:
    import torch

    fastpath = torch.backends.mha.get_fastpath_enabled()
    try:
        # MultiheadAttention's fused inference kernel has no ONNX form: trace the plain ops.
        torch.backends.mha.set_fastpath_enabled(False)
        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad(), _quiet_stderr():
            warnings.simplefilter("ignore")  # tracer and deprecation notes about code we do not own
            torch.onnx.export(
                tower.module, (tower.sample,), str(path), opset_version=OPSET, dynamo=False,
                input_names=[tower.input_name], output_names=["embedding"],
                dynamic_axes={tower.input_name: {0: "batch"}, "embedding": {0: "batch"}},
            )
    except OSError:
        raise
    except Exception as exc:  # torch raises many types for an unexportable graph
        first = (str(exc).strip().splitlines() or [""])[0][:300]  # torch may append the whole graph
        raise ExportError(f"torch.onnx.export of the {tower.name} tower failed: {type(exc).__name__}: {first}") from None
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """torch 2.14's TorchScript exporter always has its C++ ONNX log on (setup_onnx_logging tests
    the function object, not its result), so a failed export writes the whole graph to fd 2.
    The failure is reported as one line instead; fd 2 is back as soon as the export returns."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def check(session: Any, tower: Tower) -> float:
    """Smallest cosine between ONNX Runtime's rows and torch's; below MIN_COSINE is an error."""
    got = session.run(None, {tower.input_name: tower.check_input})[0]
    cosine = float(cosine_rows(got, tower.reference).min())
    if not cosine >= MIN_COSINE:  # also catches NaN
        raise ExportError(f"the ONNX {tower.name} tower differs from torch (cosine {cosine:.6f} < {MIN_COSINE})")
    return cosine


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)


def _fsync(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _write_atomic(path: Path, data: bytes) -> None:
    """Write then rename: a crash or a full disk leaves the old file or none, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
