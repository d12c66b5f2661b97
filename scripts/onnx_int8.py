#!/usr/bin/env python3
"""Should photofind offer int8 under ONNX Runtime? Measures effnet-lite0 (real ImageNet weights)
exported to ONNX, fp32 against ONNX Runtime's dynamic and static (QDQ) int8 quantisation:
images/s at batch 32 and the cosine of each int8 vector to its fp32 vector, on the real
photographs of the stamps set (static calibration on train images, measurement on test images).
Everything in one run. Usage: python scripts/onnx_int8.py [--stamps tests/data/stamps] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from photofind.embedders.effnet import EffnetLite0Embedder  # noqa: E402
from photofind.embedders.onnx_runtime import make_session  # noqa: E402


def batch_of(paths: list[Path]) -> np.ndarray:
    return np.stack([EffnetLite0Embedder.PREPROCESS(Image.open(p).convert("RGB")) for p in paths])


def speed(session, x: np.ndarray, repeats: int) -> float:
    name = session.get_inputs()[0].name
    session.run(None, {name: x})  # warm-up
    started = time.perf_counter()
    for _ in range(repeats):
        session.run(None, {name: x})
    return repeats * len(x) / (time.perf_counter() - started)


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stamps", default=str(HERE.parent / "tests" / "data" / "stamps"))
    p.add_argument("--repeats", type=int, default=3, help="timed batches of 32 per variant")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType, quantize_dynamic,
                                          quantize_static)

    work = Path(tempfile.mkdtemp(prefix="photofind-int8-"))
    embedder = EffnetLite0Embedder("cpu", "onnx", work)
    embedder.ensure_loaded()
    fp32 = next(work.glob("onnx/*/image.onnx"))
    stamps = Path(args.stamps)
    test = sorted(stamps.glob("test/*/*.jpg"))
    calib = sorted(stamps.glob("train/*/*.jpg"))[::4]  # 68 images, every class
    x_test = batch_of(test)
    x_speed = x_test[:32]

    class Calibration(CalibrationDataReader):
        def __init__(self) -> None:
            self.rows = iter(batch_of(calib)[:, None])

        def get_next(self):  # type: ignore[no-untyped-def]
            row = next(self.rows, None)
            return None if row is None else {"pixels": row}

    variants = {"fp32": fp32}
    quantize_dynamic(str(fp32), str(work / "dynamic-u8.onnx"), weight_type=QuantType.QUInt8)
    variants["dynamic QUInt8"] = work / "dynamic-u8.onnx"
    quantize_dynamic(str(fp32), str(work / "dynamic-s8.onnx"), weight_type=QuantType.QInt8)
    variants["dynamic QInt8"] = work / "dynamic-s8.onnx"
    quantize_static(str(fp32), str(work / "static-qdq.onnx"), Calibration(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True)
    variants["static QDQ (per-channel)"] = work / "static-qdq.onnx"

    results: dict[str, dict[str, float]] = {}
    reference = None
    for name, path in variants.items():
        session = make_session(path, ["CPUExecutionProvider"])
        rows = unit(session.run(None, {"pixels": x_test})[0])
        reference = rows if reference is None else reference
        cos = (rows * reference).sum(axis=1)
        results[name] = {"images_per_s": speed(session, x_speed, args.repeats), "cos_min": float(cos.min()),
                         "cos_mean": float(cos.mean()), "mb": path.stat().st_size / 1e6}
        print(f"[int8] {name}: {results[name]}", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"effnet-lite0, {len(test)} stamps test photos, batch 32, {args.repeats} timed batches")
    print("variant | images/s | x fp32 | cosine to fp32 (min / mean) | file MB")
    base = results["fp32"]["images_per_s"]
    for name, r in results.items():
        print(f"{name} | {r['images_per_s']:.1f} | {r['images_per_s'] / base:.2f} | "
              f"{r['cos_min']:.4f} / {r['cos_mean']:.4f} | {r['mb']:.1f}")


if __name__ == "__main__":
    main()
