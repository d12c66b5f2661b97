"""The parts of `dupes` on their own: the pHash scan finds every close pair exactly once, and
the tile test tells a cropped, brightened copy from the same frame with a small region changed."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photofind.dupes import candidates
from photofind.dupes.verify import MAX_TILE_DIFF, compare
from photofind.media.fingerprint import thumbnail
from tests.helpers.images import photo, replace_region


def test_the_scan_finds_every_pair_within_the_distance() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**63, 300, dtype=np.int64).astype(np.uint64)
    near = base.copy()
    for i in range(len(near)):  # flip 0-12 random bits of each
        for bit in rng.choice(64, int(rng.integers(0, 13)), replace=False):
            near[i] ^= np.uint64(1) << np.uint64(bit)
    codes = np.concatenate([base, near])
    found = [tuple(p) for block in candidates.close_pairs(codes, 10) for p in block.tolist()]
    n = len(codes)  # 600: several blocks of rows
    full = {(a, b) for a in range(n) for b in range(a + 1, n) if int(codes[a] ^ codes[b]).bit_count() <= 10}
    assert len(found) == len(set(found)) and set(found) == full and 200 <= len(full) < 300


def test_the_crop_scan_finds_every_inner_match() -> None:
    rng = np.random.default_rng(2)
    outer = rng.integers(0, 2**63, 400, dtype=np.int64).astype(np.uint64)
    inner = outer ^ rng.integers(0, 2**63, 400, dtype=np.int64).astype(np.uint64)  # unrelated
    for i in range(0, 400, 2):  # picture i + 1 is a crop of picture i, or the other way round
        a, b = (i, i + 1) if i % 4 else (i + 1, i)
        inner[a] = outer[b] ^ np.uint64(int(rng.integers(0, 2**candidates.CROP_BITS)))
    found = [tuple(p) for block in candidates.crop_pairs(outer, inner) for p in block.tolist()]
    full = {(min(a, b), max(a, b)) for a in range(400) for b in range(400)
            if a != b and int(inner[a] ^ outer[b]).bit_count() <= candidates.CROP_BITS}
    assert set(found) == full and {(i, i + 1) for i in range(0, 400, 2)} <= full


def thumb_of(im: Image.Image) -> tuple[bytes, tuple[int, int]]:
    return thumbnail(im), im.size


def test_tile_test_passes_copies_and_fails_small_changes() -> None:
    original, other = photo(11), photo(12)
    a = thumb_of(original)
    w, h = original.size
    copies = {
        "crop 5 % left and top": original.crop((w // 20, h // 20, w, h)),
        "crop 3 % all round, half size": original.crop((19, 14, w - 19, h - 14)).resize((w // 2, h // 2)),
        "10 % brighter": Image.eval(original, lambda v: min(255, int(v * 1.1))),
    }
    for name, im in copies.items():
        match = compare(*a, *thumb_of(im))
        assert match.same() and match.tile_diff < MAX_TILE_DIFF, name
    for seed, area in enumerate((0.03, 0.05)):
        match = compare(*a, *thumb_of(replace_region(original, other, area, seed)))
        assert not match.same() and match.tile_diff > MAX_TILE_DIFF, area
    assert not compare(*a, *thumb_of(other)).same()
    wide = original.resize((w, h // 2))  # another aspect than any <= 5 % crop gives
    assert not compare(*a, *thumb_of(wide)).aligned


def test_flat_frames_of_different_brightness_differ() -> None:
    grey, black = Image.new("RGB", (64, 48), (128,) * 3), Image.new("RGB", (64, 48), (0,) * 3)
    assert compare(*thumb_of(grey), *thumb_of(grey)).tile_diff == 0
    assert not compare(*thumb_of(grey), *thumb_of(black)).same()


@pytest.mark.parametrize("radius", [0, 2, 6, 8, 12])
def test_multi_index_search_equals_a_brute_force_scan(radius: int) -> None:
    """Random codes, plus clusters of codes 0..radius+2 bits from a centre (so that pairs sit at
    the border of the radius too): the same pairs as comparing every pair."""
    rng = np.random.default_rng(radius)
    codes = rng.integers(0, 2**63, 2000, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    for c in range(0, 1000, 10):
        for k in range(1, 6):
            flip = sum(1 << int(b) for b in rng.choice(64, int(rng.integers(0, radius + 3)), replace=False))
            codes[c + k] = codes[c] ^ np.uint64(flip)
    found = np.concatenate(list(candidates.close_pairs(codes, radius)))
    want = candidates.close_pairs_brute(codes, radius)
    assert len(want) > 100 and np.array_equal(found, np.unique(want, axis=0))
    inner = codes ^ np.uint64(0b1011)  # crops: inner codes against the outer ones
    crop = np.concatenate(list(candidates.crop_pairs(codes, inner)))
    brute = {(min(i, j), max(i, j)) for i in range(len(codes)) for j in np.nonzero(
        np.bitwise_count(inner[i] ^ codes) <= candidates.CROP_BITS)[0].tolist() if i != j}
    assert {tuple(p) for p in crop.tolist()} == brute and len(crop) == len(brute)
