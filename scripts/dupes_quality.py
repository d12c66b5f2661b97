#!/usr/bin/env python3
"""How well `dupes` tells copies from different photos: recall and false merges, per edit.

Originals: the stamps set (real object photos on white, ~150 px) and generated camera-like
photos (smooth fields, shapes, texture, sensor noise, 640x480). Each original is edited the
ways real copies are (must group) and the ways different photos of one scene differ (must not
group); every file is written to disk and fingerprinted by the code `dupes` uses. Prints, per
edit, the pHash bits and the largest tile difference (min / median / max), and the share of
pairs grouped by the pHash test alone (--loose) and by pHash + the local tile test (default).

Usage: python scripts/dupes_quality.py [--stamps N] [--generated N] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photofind.dupes import MAX_DISTANCE, MAX_TILE_DIFF  # noqa: E402
from photofind.dupes.candidates import CROP_BITS  # noqa: E402
from photofind.dupes.verify import compare  # noqa: E402
from photofind.media.fingerprint import THUMB, Fingerprint, fingerprint_file, hamming  # noqa: E402
from tests.helpers.images import photo as generated, replace_region  # noqa: E402  the tests' generators

STAMPS = Path(__file__).resolve().parents[1] / "tests" / "data" / "stamps"
DREIDELS = ["00273", "00275", "00277", "00279", "00281"]  # one drawing, a different letter


def crop(im: Image.Image, frac: float, seed: int | None = None) -> Image.Image:
    """`frac` off each side, or with a seed, a random 0..frac off each side independently."""
    w, h = im.size
    m = [frac] * 4 if seed is None else list(np.random.default_rng(seed).uniform(0, frac, 4))
    return im.crop((round(w * m[0]), round(h * m[1]), w - round(w * m[2]), h - round(h * m[3])))


def stamps(n: int) -> list[Image.Image]:
    """The first n stamps (test/ then train/) at least 2x the thumbnail on the short side, so a
    50 % copy still fills one: smaller pictures carry less detail than the tile test compares."""
    found = []
    for path in sorted(STAMPS.glob("test/*/*.jpg")) + sorted(STAMPS.glob("train/*/*.jpg")):
        im = Image.open(path).convert("RGB")
        if min(im.size) >= 2 * THUMB and len(found) < n and path.stem not in DREIDELS:
            found.append(im)
    return found


def write(im: Image.Image, path: Path, **kw: object) -> Path:
    im.save(path, **kw)
    return path


def exif_rotated(im: Image.Image, path: Path) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view": store the pixels turned the other way
    return write(im.transpose(Image.Transpose.ROTATE_90), path, quality=90, exif=exif)


COPIES: dict[str, Callable[[Image.Image, Path, int], Path]] = {
    "resize 50 %": lambda im, p, s: write(im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS), p, quality=90),
    "JPEG q20": lambda im, p, s: write(im, p, quality=20),
    "EXIF rotation": lambda im, p, s: exif_rotated(im, p),
    "crop 4 % each side": lambda im, p, s: write(crop(im, 0.04), p, quality=90),
    "crop 0-5 % per side": lambda im, p, s: write(crop(im, 0.05, s), p, quality=90),
    "PNG re-save": lambda im, p, s: write(im, p.with_suffix(".png")),
    "resize 50 % + crop 3 % + q50": lambda im, p, s: write(
        crop(im, 0.03).resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS), p, quality=50),
}


def different(area: float) -> Callable[[Image.Image, Image.Image, Path, int], Path]:
    return lambda im, other, p, s: write(replace_region(im, other, area, s), p, quality=90)


DIFFERENT = {f"{int(a * 100)} % region replaced": different(a) for a in (0.03, 0.05, 0.08)}


def figures(pairs: list[tuple[Fingerprint, Fingerprint]], limit: float) -> dict[str, float]:
    bits = [hamming(a.phash, b.phash) for a, b in pairs]
    crop = [min(hamming(a.inner, b.phash), hamming(a.phash, b.inner)) for a, b in pairs]
    tiles = [compare(a.thumb, (a.width, a.height), b.thumb, (b.width, b.height)).tile_diff for a, b in pairs]
    loose = [d <= MAX_DISTANCE or c <= CROP_BITS for d, c in zip(bits, crop)]  # candidates.global_test
    verified = [ok and t <= limit for ok, t in zip(loose, tiles)]
    return {
        "pairs": len(pairs),
        "bits": [int(min(bits)), float(np.median(bits)), int(max(bits))],
        "tile": [round(min(tiles), 2), round(float(np.median(tiles)), 2), round(max(tiles), 2)],
        "loose": sum(loose) / len(pairs),
        "verified": sum(verified) / len(pairs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stamps", type=int, default=30, help="stamps originals (from test/ then train/)")
    ap.add_argument("--generated", type=int, default=30, help="generated 640x480 originals")
    ap.add_argument("--max-tile-diff", type=float, default=MAX_TILE_DIFF)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pf-dupes-quality-"))
    originals = stamps(args.stamps)
    originals += [generated(1000 + i) for i in range(args.generated)]
    fp = {}
    copies: dict[str, list] = {k: [] for k in COPIES}
    diffs: dict[str, list] = {k: [] for k in DIFFERENT}
    for i, im in enumerate(originals):
        base = fingerprint_file(write(im, work / f"{i}.png"))
        fp[i] = base
        other = originals[(i + 7) % len(originals)]
        for j, (name, make) in enumerate(COPIES.items()):
            copies[name].append((base, fingerprint_file(make(im, work / f"{i}_c{j}.jpg", i))))
        for j, (name, make) in enumerate(DIFFERENT.items()):
            diffs[name].append((base, fingerprint_file(make(im, other, work / f"{i}_d{j}.jpg", i))))
    # Bursts: one scene, a person that moved 3-5 % of the frame's width between two frames.
    bursts = []
    for i in range(args.generated):
        step = 0.03 + 0.02 * (i % 3) / 2
        a = write(generated(5000 + i, person=(0.3 + 0.01 * (i % 20), 0.6)), work / f"b{i}a.jpg", quality=90)
        b = write(generated(5000 + i, person=(0.3 + 0.01 * (i % 20) + step, 0.6)), work / f"b{i}b.jpg", quality=90)
        bursts.append((fingerprint_file(a), fingerprint_file(b)))
    diffs["burst: person moved 3-5 %"] = bursts
    dreidels = [fingerprint_file(STAMPS / "train" / "seasonal_hanukkah" / f"{n}.jpg") for n in DREIDELS]
    diffs["stamps dreidels (letter differs)"] = [
        (dreidels[i], dreidels[j]) for i in range(len(dreidels)) for j in range(i + 1, len(dreidels))]
    table = {
        "originals": len(originals), "max_tile_diff": args.max_tile_diff, "max_distance": MAX_DISTANCE,
        "copies": {k: figures(v, args.max_tile_diff) for k, v in copies.items() if v},
        "different": {k: figures(v, args.max_tile_diff) for k, v in diffs.items() if v},
    }
    if args.json:
        print(json.dumps(table, indent=2))
        return
    print(f"{len(originals)} originals; pHash <= {MAX_DISTANCE} bits (or inner pHash <= {CROP_BITS}),"
          f" largest tile difference <= {args.max_tile_diff} %")
    print(f"| {'edit':34} | pairs | pHash bits min/med/max | tile diff % min/med/max | grouped: loose | grouped: verified |")
    print(f"|{'-' * 36}|-------|------------------------|-------------------------|----------------|-------------------|")
    for kind in ("copies", "different"):
        for name, f in table[kind].items():
            b, t = f["bits"], f["tile"]
            print(f"| {name:34} | {f['pairs']:5} | {b[0]:>4} / {b[1]:>4} / {b[2]:>4}     | {t[0]:>5} / {t[1]:>5} / {t[2]:>5}   "
                  f"| {f['loose']:>13.0%}  | {f['verified']:>16.0%}  |")


if __name__ == "__main__":
    main()
