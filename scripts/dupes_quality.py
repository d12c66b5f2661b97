#!/usr/bin/env python3
"""How well `dupes` tells copies from different photos, per kind of copy, beside its peers.

Originals: the stamps set (real object photos on white, ~150 px, tests/data/stamps),
generated camera-like photos (640x480) and generated plain ones (a sky, a wall: a smooth gradient
of one hue). Each original is edited the ways real copies are (must group as the same picture),
the ways edited versions are (a caption, a monochrome or sepia conversion: `--edits` only), and
the ways different photos differ (a 3-8 % region replaced, a person moved in a burst, the colours
turned: must never be the same picture). Every file is written to one folder and fingerprinted by
the code `dupes` uses; imagededup's PHash (its default threshold, 10 bits) and czkawka's bindings
(their default similarity) run once on that same folder, and a pair counts as grouped by a peer
when both files land in one of its groups.

Prints per kind: the pHash bits, the largest tile difference and the colour differences
(min / median / max), the share judged "same picture", "edited version", and grouped by each peer.
With --plain-strangers PAIRS it measures instead why tone-edited plain pictures are not searched
for: how many random pairs of *different* plain pictures the full test calls the same picture (what
pairing every plain picture with every other would let through), and how many pass today (within
the plain search's colour radius), beside the full test's verdict on tone-edited plain copies.
Usage: python scripts/dupes_quality.py [--stamps N] [--generated N] [--plain N] [--no-peers] [--json]
       python scripts/dupes_quality.py --plain-strangers 3000 [--library 34000]
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from photofind.dupes import MAX_DISTANCE  # noqa: E402
from photofind.dupes.candidates import CROP_BITS  # noqa: E402
from photofind.dupes.plain import PLAIN_RADIUS, layouts  # noqa: E402
from photofind.dupes.verify import compare  # noqa: E402
from photofind.media.fingerprint import THUMB, Fingerprint, fingerprint, fingerprint_file, hamming  # noqa: E402
from tests.helpers.images import caption, photo as generated, plain, recolour, replace_region, tone_edit  # noqa: E402

STAMPS = Path(__file__).resolve().parents[1] / "tests" / "data" / "stamps"  # shipped with the repo
Edit = Callable[[Image.Image, Image.Image, int], Image.Image]


def crop(im: Image.Image, frac: float, seed: int | None = None) -> Image.Image:
    """`frac` off each side, or with a seed, a random 0..frac off each side independently."""
    w, h = im.size
    m = [frac] * 4 if seed is None else list(np.random.default_rng(seed).uniform(0, frac, 4))
    return im.crop((round(w * m[0]), round(h * m[1]), w - round(w * m[2]), h - round(h * m[3])))


def dreidels() -> list[Path]:
    """One drawing, a different letter on each: the hardest real near misses in the set."""
    return sorted(STAMPS.glob("*/seasonal_hanukkah/*.jpg"))


def stamps(n: int) -> list[Image.Image]:
    """The first n stamps (test/ then train/) at least 2x the thumbnail on the short side, so a
    50 % copy still fills one: smaller pictures carry less detail than the tile test compares."""
    found = []
    skip = {p.stem for p in dreidels()}
    for path in sorted(STAMPS.glob("test/*/*.jpg")) + sorted(STAMPS.glob("train/*/*.jpg")):
        im = Image.open(path).convert("RGB")
        if min(im.size) >= 2 * THUMB and len(found) < n and path.stem not in skip:
            found.append(im)
    return found


def sepia(im: Image.Image) -> Image.Image:
    grey = np.asarray(im.convert("L"), float)[..., None] / 255
    return Image.fromarray(np.clip(grey * np.array([255, 220, 170]) + 10, 0, 255).astype(np.uint8))


# kind -> (expected: "same" | "edited" | "different", how the second file is made)
KINDS: dict[str, tuple[str, Edit]] = {
    "resize 50 %": ("same", lambda im, o, s: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)),
    "JPEG q20": ("same", lambda im, o, s: im),  # saved at q20 below
    "EXIF rotation": ("same", lambda im, o, s: im),  # stored turned, with the tag, below
    "crop 0-5 % per side": ("same", lambda im, o, s: crop(im, 0.05, s)),
    "crop 5 % each side": ("same", lambda im, o, s: crop(im, 0.05)),
    "resize 50 % + crop 3 % + q50": ("same", lambda im, o, s: crop(im, 0.03).resize(
        (im.width // 2, im.height // 2), Image.Resampling.LANCZOS)),
    "tone: brighter x1.3, contrast x0.85": ("same", lambda im, o, s: tone_edit(im, 1.3, 0.85)),
    "tone: darker x0.8, contrast x1.2": ("same", lambda im, o, s: tone_edit(im, 0.8, 1.2)),
    "tone: gamma 0.7": ("same", lambda im, o, s: tone_edit(im, gamma=0.7)),
    "white balance (R x1.1, B x0.88)": ("same", lambda im, o, s: tone_edit(im, balance=(1.1, 1.0, 0.88))),
    "caption box 5 %": ("edited", lambda im, o, s: caption(im, 0.05)),
    "monochrome": ("edited", lambda im, o, s: im.convert("L").convert("RGB")),
    "sepia": ("edited", lambda im, o, s: sepia(im)),
    "near miss: 3 % region replaced": ("different", lambda im, o, s: replace_region(im, o, 0.03, s)),
    "near miss: 5 % region replaced": ("different", lambda im, o, s: replace_region(im, o, 0.05, s)),
    "near miss: 8 % region replaced": ("different", lambda im, o, s: replace_region(im, o, 0.08, s)),
    "colours turned (same grey)": ("different", lambda im, o, s: recolour(im, 0.2 + 0.3 * (s % 7) / 6)),
}


def save(im: Image.Image, path: Path, kind: str) -> Path:
    if kind == "JPEG q20":
        im.save(path, quality=20)
    elif kind == "EXIF rotation":
        exif = Image.Exif()
        exif[0x0112] = 6  # "rotate 90 CW to view": store the pixels turned the other way
        im.transpose(Image.Transpose.ROTATE_90).save(path, quality=90, exif=exif)
    elif kind == "resize 50 % + crop 3 % + q50":
        im.save(path, quality=50)
    else:
        im.save(path, quality=90)
    return path


def judge(a: Fingerprint, b: Fingerprint) -> dict[str, object]:
    """What `dupes` does with the pair (candidates.global_test, then verify.compare)."""
    bits = hamming(a.phash, b.phash)
    cropped = min(hamming(a.inner, b.phash), hamming(a.phash, b.inner))
    m = compare(a.thumb, (a.width, a.height), b.thumb, (b.width, b.height), a.colour, b.colour)
    layout, plain_ = layouts([a.colour, b.colour])
    both_plain = bool(plain_.all()) and float(np.linalg.norm(layout[0] - layout[1])) <= PLAIN_RADIUS
    candidate = bits <= MAX_DISTANCE or cropped <= CROP_BITS or both_plain  # as find._near
    tier = m.tier() if candidate else None
    return {"bits": min(bits, cropped), "tile": m.tile_diff, "fine": m.fine_diff, "colour_mean": m.colour_mean,
            "colour_tile": m.colour_tile, "changed": m.changed, "tier": tier}


def in_memory(im: Image.Image, quality: int = 90) -> Fingerprint:
    """The fingerprint `dupes` keeps of the picture saved as a JPEG."""
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=quality)
    back = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    return fingerprint(back, back.width, back.height, None)


def plain_strangers(pairs: int, library: int) -> dict[str, object]:
    """Random pairs of different plain pictures through the full test, and tone-edited plain
    copies through it, as if the plain search paired every plain picture with every other."""
    n = int(np.ceil((1 + np.sqrt(1 + 8 * pairs)) / 2))  # pictures enough for `pairs` distinct pairs
    prints = [in_memory(plain(20_000 + i, (320, 240))) for i in range(n)]
    layout, _ = layouts([f.colour for f in prints])
    rng = np.random.default_rng(0)
    every = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = [every[k] for k in rng.choice(len(every), min(pairs, len(every)), replace=False)]
    same = near = near_same = 0
    for i, j in chosen:
        a, b = prints[i], prints[j]
        ok = compare(a.thumb, (a.width, a.height), b.thumb, (b.width, b.height), a.colour, b.colour).same()
        close = float(np.linalg.norm(layout[i] - layout[j])) <= PLAIN_RADIUS
        same, near, near_same = same + ok, near + close, near_same + (ok and close)
    tone = {"brighter x1.3, contrast x0.85": lambda im: tone_edit(im, 1.3, 0.85),
            "darker x0.8, contrast x1.2": lambda im: tone_edit(im, 0.8, 1.2),
            "gamma 0.7": lambda im: tone_edit(im, gamma=0.7)}
    copies = {}
    for name, edit in tone.items():
        found = 0
        for i in range(20):
            im = plain(20_000 + i, (320, 240))
            a, b = prints[i], in_memory(edit(im))
            found += compare(a.thumb, (a.width, a.height), b.thumb, (b.width, b.height), a.colour, b.colour).same()
        copies[name] = f"{found}/20"
    rate = same / len(chosen)
    return {"pictures": n, "pairs": len(chosen), "full_test_same": same, "within_plain_radius": near,
            "within_radius_and_same": near_same, "library": library,
            "false_pairs_at_library": round(rate * library * (library - 1) / 2),
            "tone_edited_copies_full_test_same": copies}


def peers(folder: Path) -> dict[str, Callable[[Path, Path], bool]]:
    """Each peer's groups over the whole folder, as a pair test."""
    out: dict[str, Callable[[Path, Path], bool]] = {}
    try:
        from imagededup.methods import PHash

        dups = PHash(verbose=False).find_duplicates(image_dir=str(folder), max_distance_threshold=10)
        out["imagededup PHash"] = lambda a, b, d=dups: b.name in d.get(a.name, [])
    except ImportError as exc:
        print(f"imagededup not installed ({exc}): skipped", file=sys.stderr)
    try:
        from czkawka import ImageSimilarity

        finder = ImageSimilarity()
        finder.set_directories([folder])
        member = {}
        for i, group in enumerate(finder.find_similar()):
            for p in group:
                member[p.name] = i
        out["czkawka"] = lambda a, b, m=member: a.name in m and m.get(a.name) == m.get(b.name)
    except ImportError as exc:
        print(f"czkawka not installed ({exc}): skipped", file=sys.stderr)
    return out


def spread(values: list[float], digits: int = 2) -> list[float]:
    return [round(min(values), digits), round(float(np.median(values)), digits), round(max(values), digits)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stamps", type=int, default=40, help="stamps originals (from test/ then train/)")
    ap.add_argument("--generated", type=int, default=20, help="generated 640x480 camera-like originals")
    ap.add_argument("--plain", type=int, default=20, help="generated plain 320x240 originals (sky, wall)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--plain-strangers", type=int, default=0, metavar="PAIRS",
                    help="measure only: random pairs of different plain pictures through the full test")
    ap.add_argument("--library", type=int, default=34_000, help="plain pictures to extrapolate false pairs to")
    args = ap.parse_args()
    if args.plain_strangers:
        found = plain_strangers(args.plain_strangers, args.library)
        if args.json:
            print(json.dumps(found, indent=2))
        else:
            print(f"{found['pairs']} random pairs of {found['pictures']} different plain 320x240 pictures (JPEG q90):")
            print(f"  the full test calls {found['full_test_same']} the same picture"
                  f" (~{found['false_pairs_at_library']:,} false pairs among {found['library']:,} plain photos"
                  f" if every plain pair were tested)")
            print(f"  within the plain search's radius ({PLAIN_RADIUS} levels): {found['within_plain_radius']},"
                  f" of which the full test keeps {found['within_radius_and_same']}")
            for name, got in found["tone_edited_copies_full_test_same"].items():
                print(f"  tone-edited copies ({name}), full test alone: {got} the same picture")
        return
    work = Path(tempfile.mkdtemp(prefix="pf-dupes-quality-"))
    originals = [("stamps", im) for im in stamps(args.stamps)]
    originals += [("generated", generated(1000 + i)) for i in range(args.generated)]
    originals += [("plain", plain(3000 + i, (320, 240))) for i in range(args.plain)]
    pairs: dict[str, list[tuple[str, Path, Path]]] = {k: [] for k in KINDS}
    for i, (source, im) in enumerate(originals):
        base = work / f"o{i:03d}.png"
        im.save(base)
        other = originals[(i + 7) % len(originals)][1]
        for j, (kind, (_, make)) in enumerate(KINDS.items()):
            if source == "plain" and kind.startswith("near miss"):
                continue  # a patch of another gradient on a gradient: a near miss only on paper
            pairs[kind].append((source, base, save(make(im, other, i), work / f"o{i:03d}_k{j:02d}.jpg", kind)))
    # Bursts: one scene, a person that moved 3-5 % of the frame's width between two frames.
    pairs["burst: person moved 3-5 %"] = []
    for i in range(args.generated):
        step = 0.03 + 0.02 * (i % 3) / 2
        a = work / f"b{i:03d}a.jpg"
        b = work / f"b{i:03d}b.jpg"
        generated(5000 + i, person=(0.3 + 0.01 * (i % 20), 0.6)).save(a, quality=90)
        generated(5000 + i, person=(0.3 + 0.01 * (i % 20) + step, 0.6)).save(b, quality=90)
        pairs["burst: person moved 3-5 %"].append(("generated", a, b))
    ds = dreidels()
    pairs["stamps dreidels (letter differs)"] = [
        ("stamps", ds[i], ds[j]) for i in range(len(ds)) for j in range(i + 1, len(ds))]
    for _, a, b in pairs["stamps dreidels (letter differs)"]:  # into the peers' folder too
        for p in (a, b):
            if not (work / f"d_{p.name}").exists():
                (work / f"d_{p.name}").write_bytes(p.read_bytes())
    pairs["stamps dreidels (letter differs)"] = [
        (s, work / f"d_{a.name}", work / f"d_{b.name}") for s, a, b in pairs["stamps dreidels (letter differs)"]]
    expected = {k: v[0] for k, v in KINDS.items()}
    expected["burst: person moved 3-5 %"] = expected["stamps dreidels (letter differs)"] = "different"
    others = {} if args.no_peers else peers(work)
    prints: dict[Path, Fingerprint] = {}
    table: dict[str, dict[str, object]] = {}
    for kind, found in pairs.items():
        if not found:
            continue
        rows = []
        for source, a, b in found:
            fa = prints.setdefault(a, fingerprint_file(a))
            fb = prints.setdefault(b, fingerprint_file(b))
            row = judge(fa, fb)
            row["source"] = source
            row.update({name: test(a, b) for name, test in others.items()})
            rows.append(row)
        n = len(rows)
        table[kind] = {
            "expected": expected[kind], "pairs": n,
            "bits": spread([r["bits"] for r in rows], 0), "tile": spread([r["tile"] for r in rows]),
            "fine": spread([r["fine"] for r in rows]),
            "colour_mean": spread([r["colour_mean"] for r in rows], 3),
            "colour_tile": spread([r["colour_tile"] for r in rows], 3),
            "same": sum(r["tier"] == "same" for r in rows) / n,
            "edited": sum(r["tier"] == "edited" for r in rows) / n,
            "same_by_source": {s: f"{sum(r['tier'] == 'same' for r in rows if r['source'] == s)}"
                                  f"/{sum(r['source'] == s for r in rows)}" for s in ("stamps", "generated", "plain")},
            **{name: sum(bool(r[name]) for r in rows) / n for name in others},
        }
    if args.json:
        print(json.dumps({"originals": len(originals), "kinds": table}, indent=2))
        return
    print(f"{len(originals)} originals ({args.stamps} stamps asked, {args.generated} generated, {args.plain} plain);"
          f" candidates: pHash <= {MAX_DISTANCE} bits or inner pHash <= {CROP_BITS}")
    names = list(others)
    print("| kind | expected | pairs | pHash bits min/med/max | tile diff % | fine tile % | colour mean | colour tile |"
          " photofind: same | same: stamps / generated / plain | photofind --edits: edited |"
          + "".join(f" {n} |" for n in names))
    print("|" + "---|" * (11 + len(names)))
    for kind, f in table.items():
        b, t, fi, cm, ct = f["bits"], f["tile"], f["fine"], f["colour_mean"], f["colour_tile"]
        print(f"| {kind} | {f['expected']} | {f['pairs']} | {b[0]:.0f} / {b[1]:.0f} / {b[2]:.0f} | "
              f"{t[0]} / {t[1]} / {t[2]} | {fi[0]} / {fi[1]} / {fi[2]} | {cm[0]} / {cm[1]} / {cm[2]} | {ct[0]} / {ct[1]} / {ct[2]} | "
              f"{f['same']:.0%} | {' / '.join(f['same_by_source'].values())} | {f['edited']:.0%} |"
              + "".join(f" {f[n]:.0%} |" for n in names))


if __name__ == "__main__":
    main()
