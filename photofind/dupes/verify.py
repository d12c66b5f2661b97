"""The local test: are two thumbnails the same picture everywhere, not only on average?

pHash summarises the whole frame in its lowest frequencies, so a changed letter, a moved person
or an added object leaves it within a few bits. Here the two 64x64 grey thumbnails are aligned
(the copy may be cropped up to 5 % per side, or be the uncropped original of a crop), then
compared tile by tile: the pair is the same picture only if no tile differs by more than
MAX_TILE_DIFF. Pure numpy, ~2.6 ms a pair; thumbnails come from the catalog, nothing is decoded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from photofind.media.fingerprint import THUMB

WINDOW, STRIDE = 6, 3  # tiles of 6x6 px every 3 px: of 4-16 px tried, the widest copy/difference gap
MARGINS = np.arange(-6, 7) / 100  # crop per side searched, -6 %..6 % (copies are cropped <= 5 %)
STEPS = 6  # descent moves at most: copies need 0-3 from the first guess, different pictures wander
MAX_ASPECT = 0.12  # |log(aspect ratio)| two copies may differ by: a 5 % crop of each side is 0.105
MAX_SHIFT = 20.0  # grey levels of brightness a copy may have gained or lost
MIN_VALID = 0.5  # a tile counts when at least half of it lies inside the other picture
# Largest tile difference (% of full scale) of a true copy. Measured by scripts/dupes_quality.py
# on 140 originals (100 stamps, 40 generated photos; README): resize 50 %, JPEG q20, EXIF
# rotation, crops <= 5 % and PNG reach 5.31 at most (resize + 3 % crop + q50 at once: 7.04, one
# 150-px stamp); different pictures (a 3-8 % region replaced, a person moved 3-5 % in a burst,
# the dreidels) 8.77 at least. 7 leaves x1.3 above the copies and x1.25 below the differences.
MAX_TILE_DIFF = 7.0


@dataclass(frozen=True)
class Match:
    tile_diff: float  # largest mean absolute difference of a tile, % of full scale (0-100)
    aligned: bool  # False: the aspect ratios differ too much for a crop (tile_diff is then 100)

    def same(self, limit: float = MAX_TILE_DIFF) -> bool:
        return self.aligned and self.tile_diff <= limit


@functools.cache
def _resamplers(n: int = THUMB) -> tuple[np.ndarray, np.ndarray]:
    """For every (lo, hi) margin pair: the (n, n) linear-interpolation matrix that samples a
    picture's axis from relative lo to 1 - hi onto n pixels, and which samples fall inside."""
    mats, valid = [], []
    for lo in MARGINS:
        for hi in MARGINS:
            u = (np.arange(n) + 0.5) / n
            x = (lo + (1 - lo - hi) * u) * n - 0.5  # in source pixel coordinates
            inside = (x >= -0.5) & (x <= n - 0.5)
            x = np.clip(x, 0, n - 1)
            left = np.floor(x).astype(int)
            right = np.minimum(left + 1, n - 1)
            w = x - left
            m = np.zeros((n, n), dtype=np.float32)
            m[np.arange(n), left] += 1 - w
            m[np.arange(n), right] += w
            mats.append(m)
            valid.append(inside)
    return np.stack(mats), np.stack(valid)


def compare(thumb_a: bytes, size_a: tuple[int, int], thumb_b: bytes, size_b: tuple[int, int]) -> Match:
    """Align b onto a (crop and scale per axis, brightness and contrast), then the worst tile."""
    if abs(np.log((size_a[0] / size_a[1]) / (size_b[0] / size_b[1]))) > MAX_ASPECT:
        return Match(100.0, False)
    a = np.frombuffer(thumb_a, dtype=np.uint8).reshape(THUMB, THUMB).astype(np.float32)
    b = np.frombuffer(thumb_b, dtype=np.uint8).reshape(THUMB, THUMB).astype(np.float32)
    fitted, mask = _align(a, b)
    return Match(_worst_window(_tolerant(fitted, b), mask), True)


def _axis(profile_a: np.ndarray, profile_b: np.ndarray) -> tuple[int, int]:
    """The (lo, hi) margin indices that best map profile_a onto profile_b."""
    mats, valid = _resamplers()
    err = np.where(valid, np.abs(mats @ profile_a - profile_b), 0).sum(1) / valid.sum(1)
    lo, hi = divmod(int(np.argmin(err)), len(MARGINS))
    return lo, hi


def _fits(a: np.ndarray, b: np.ndarray, ms: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a cropped by each of the margins ms (left, right, top, bottom) onto b's grid, its contrast
    and brightness fitted over the overlap, within +-25 % and +-MAX_SHIFT: a brightened copy is
    still the same photo, a grey frame is not a black one. All at once (numpy calls cost more
    than the arithmetic here). Returns (mean residual, fitted a, overlap mask), one per margin."""
    mats, valid = _resamplers()
    n = len(MARGINS)
    ix = np.array([m[0] * n + m[1] for m in ms])
    iy = np.array([m[2] * n + m[3] for m in ms])
    mapped = mats[iy] @ a @ mats[ix].transpose(0, 2, 1)
    mask = valid[iy][:, :, None] & valid[ix][:, None, :]
    w = mask.astype(np.float32)
    count = w.sum((1, 2))
    mx, my = (mapped * w).sum((1, 2)) / count, (b * w).sum((1, 2)) / count
    dx = (mapped - mx[:, None, None]) * w
    var, cov = (dx * dx).sum((1, 2)) / count, (dx * (b - my[:, None, None])).sum((1, 2)) / count
    gain = np.where(var > 1e-6, np.clip(cov / np.maximum(var, 1e-6), 0.8, 1.25), 1.0)
    shift = np.clip(my - mx, -MAX_SHIFT, MAX_SHIFT)
    fitted = gain[:, None, None] * dx + (mx + shift)[:, None, None]  # dx is 0 outside the mask
    return (np.abs(fitted - b) * w).sum((1, 2)) / count, fitted, mask


def _align(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Crops act on x and y separately: a first guess per axis from the 1-D mean profiles (each
    axis again once the other is known), then coordinate descent on the 4 margins, 1 % a step.
    It starts from the uncropped alignment instead when that fits better (profiles can mislead).
    Returns b's best fitted counterpart and where it overlaps b."""
    mats, _ = _resamplers()
    n = len(MARGINS)
    x = _axis(a.mean(0), b.mean(0))
    y = _axis((a @ mats[x[0] * n + x[1]].T).mean(1), b.mean(1))
    x = _axis((mats[y[0] * n + y[1]] @ a).mean(0), b.mean(0))
    ms: list[tuple[int, ...]] = [(x[0], x[1], y[0], y[1]), (n // 2,) * 4]
    score, fitted, mask = _fits(a, b, ms)
    k = int(np.argmin(score))
    best, m = (float(score[k]), fitted[k], mask[k]), ms[k]
    for _ in range(STEPS):
        ms = [m[:i] + (m[i] + d,) + m[i + 1 :] for i in range(4) for d in (-1, 1) if 0 <= m[i] + d < n]
        score, fitted, mask = _fits(a, b, ms)
        k = int(np.argmin(score))
        if score[k] >= best[0]:
            break
        best, m = (float(score[k]), fitted[k], mask[k]), ms[k]
    return best[1], best[2]


def _blur(x: np.ndarray) -> np.ndarray:
    """[1 2 1]/4 each way: thin lines, which resampling thins unequally, count alike in both."""
    p = np.pad(x, 1, mode="edge")
    x = (p[:-2, 1:-1] + 2 * p[1:-1, 1:-1] + p[2:, 1:-1]) / 4
    p = np.pad(x, 1, mode="edge")
    return (p[1:-1, :-2] + 2 * p[1:-1, 1:-1] + p[1:-1, 2:]) / 4


def _tolerant(fitted: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How far each pixel of either (blurred) picture lies outside the range the other takes
    within half a pixel: sub-pixel misalignment costs little, while a changed region (>= 11 px
    across at 64 px for 3 % of the frame) keeps its interior. A full pixel of tolerance also
    hid the one-stroke difference between two dreidel letters."""
    f, b = _blur(fitted), _blur(b)

    def spread(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = np.pad(x, 1, mode="edge")
        half = np.stack([(p[i : i + THUMB, j : j + THUMB] + x) / 2 for i in range(3) for j in range(3)])
        return half.min(0), half.max(0)

    lo, hi = spread(f)
    one = np.maximum(0, np.maximum(b - hi, lo - b))
    lo, hi = spread(b)
    return np.maximum(one, np.maximum(0, np.maximum(f - hi, lo - f)))


def _worst_window(diff: np.ndarray, mask: np.ndarray) -> float:
    """Largest mean of `diff` over WINDOW-px squares every STRIDE px (overlapping, so a changed
    region is never split thinly between tiles), in % of full scale."""
    def sums(x: np.ndarray) -> np.ndarray:
        s = np.zeros((THUMB + 1, THUMB + 1))
        s[1:, 1:] = x.cumsum(0).cumsum(1)
        at = np.arange(0, THUMB - WINDOW + 1, STRIDE)
        lo, hi = np.ix_(at, at), np.ix_(at + WINDOW, at + WINDOW)
        return s[hi[0], hi[1]] - s[lo[0], hi[1]] - s[hi[0], lo[1]] + s[lo[0], lo[1]]

    d, n = sums(np.where(mask, diff, 0)), sums(mask.astype(np.float64))
    ok = n >= MIN_VALID * WINDOW * WINDOW
    return float((d[ok] / n[ok]).max() * 100 / 255) if ok.any() else 100.0
