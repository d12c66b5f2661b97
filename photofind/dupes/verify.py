"""The local test: are two thumbnails the same picture everywhere, in tone and in colour?

pHash summarises the whole frame in its lowest frequencies, so a changed letter, a moved person
or an added object leaves it within a few bits. Here the two 64x64 grey thumbnails are aligned
(the copy may be cropped up to 5 % per side, or be the uncropped original of a crop), a global
tone curve is fitted (brightness, contrast, gamma, a curve: one smooth monotone mapping of grey
levels), then they are compared tile by tile: the pair is the same picture only if no tile
differs by more than MAX_TILE_DIFF, and where there is detail no finer 5x5 tile by more than
MAX_FINE_DIFF (a one-stroke change). The 16x16 colour thumbnails, aligned the same way, must then
agree in chroma once a white balance (a shift of the chroma) and a saturation change are fitted.

A pair that fails only in a part of the frame (<= MAX_EDIT_SHARE of it) is an *edited version*
(a caption, a sticker, a retouch), and a colour photo against its grey or sepia conversion is
one too: `dupes --edits` offers those for review. Pure numpy, ~3 ms a pair; thumbnails come from
the catalog, nothing is decoded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from photofind.media.fingerprint import COLOUR, THUMB, Fingerprint

WINDOW, STRIDE = 6, 3  # tiles of 6x6 px every 3 px: of 4-16 px tried, the widest copy/difference gap
MARGINS = np.arange(-6, 7) / 100  # crop per side searched, -6 %..6 % (copies are cropped <= 5 %)
STEPS = 6  # descent moves at most: copies need 0-3 from the first guess, different pictures wander
MAX_ASPECT = 0.12  # |log(aspect ratio)| two copies may differ by: a 5 % crop of each side is 0.105
MIN_VALID = 0.5  # a tile counts when at least half of it lies inside the other picture
# Largest tile difference (% of full scale) of a true copy. Measured by scripts/dupes_quality.py
# (docs/dupes.md): resize 50 %, JPEG q20, EXIF rotation, crops <= 5 %, PNG and tone edits stay
# well below; different pictures (a 3-8 % region replaced, a person moved 3-5 % in a burst, the
# dreidels) above. The tone curve is fitted before, so it is no looser on local changes.
MAX_TILE_DIFF = 7.0
# The fine test: 5x5 tiles every pixel, where either picture has strokes (a mean gradient of at
# least FINE_DETAIL levels a pixel, blurred). A 6x6 tile averages a one-stroke change (two dreidel
# letters) below MAX_TILE_DIFF; a 5x5 one does not. Smooth areas are left to the 6x6 tiles: there
# a fine tile sees only what the tone fit leaves of a clipped sky (without the detail rule a
# brightened generated photo reached 7.19). Calibrated by scripts/dupes_quality.py on the stamps
# set (docs/dupes.md): the worst copy 7.14 (resized, cropped 3 %, q50), the closest dreidel pair
# 8.35; the limit sits between them, 1.08x from each.
FINE_WINDOW = 5
FINE_DETAIL = 12.0
MAX_FINE_DIFF = 7.7
# The tone curve: grey levels at KNOTS mapped anywhere within MAX_TONE of themselves, monotone.
# Six knots cannot follow a 4-8 % region of the frame; 64 levels cover x1.3 brightness with clipping.
KNOTS = np.linspace(0, 255, 6)
MAX_TONE = 64.0
MIN_SLOPE = 0.4  # contrast x0.85, gamma 0.7-1.4 stay above it over each 51-level segment
# Colour: chroma is (log R/G, log B/G) with CHROMA_K added to each channel so that dark tiles,
# whose ratios are noise, count little. A white balance shifts it by at most MAX_BALANCE per axis
# (x1.22 on R or B against G), a saturation or gamma edit scales it by SATURATION.
CHROMA_K = 24.0
MAX_BALANCE = 0.2
SATURATION = (0.7, 1.45)
# Largest chroma difference of a copy: the mean over the frame and over the worst 3x3 colour tile
# (~3.5 % of the frame), measured by scripts/dupes_quality.py (docs/dupes.md).
MAX_COLOUR_MEAN = 0.08
MAX_COLOUR_TILE = 0.3
MIN_COLOUR_PIXELS = 8  # of 256: an object on white (a product shot, a stamp) still has its colour
GREY_SPREAD = 0.04  # a picture whose chroma varies less than this is grey (or one tint: sepia)
COLOURFUL = 0.1  # and one whose chroma varies more is in colour
# A fainter colour photo against a toned copy: the copy's chroma is a function of its grey level
# (grey, sepia: what a quadratic tint curve leaves is <= ONE_TINT), the photo's chroma spreads more
# than FAINT_COLOUR and the copy keeps under MIN_KEPT of its pattern (a copy keeps 0.7-1.45 of it,
# a saturation edit). Measured by scripts/dupes_quality.py on the stamps set (docs/dupes.md): a
# white-balanced copy of a grey photo is a tint that keeps nothing, spread up to 0.048, so
# FAINT_COLOUR sits just above it; photos fainter than that cannot be told from their grey copy.
ONE_TINT = 0.015
FAINT_COLOUR = 0.05
MIN_KEPT = 0.5
# Edited versions: the frame agrees except in at most this share of it.
MAX_EDIT_SHARE = 0.25
CHANGED_PX = 0.08 * 255  # a pixel of a failing tile counts as changed past this difference


@dataclass(frozen=True)
class Match:
    tile_diff: float  # largest mean absolute difference of a tile, % of full scale (0-100)
    aligned: bool  # False: the aspect ratios differ too much for a crop (tile_diff is then 100)
    fine_diff: float = 0.0  # largest over the fine tiles where there is detail, same scale
    colour_mean: float = 0.0  # mean chroma difference after the white balance fit
    colour_tile: float = 0.0  # largest over 3x3 colour tiles
    changed: float = 0.0  # share of the frame that differs (0-1), counted when some tile fails
    monochrome: bool = False  # one is a grey or sepia version of the other, a colour photo

    def same(self, limit: float = MAX_TILE_DIFF) -> bool:
        """The same picture: every tile agrees in tone and in colour."""
        return (self.aligned and self.tile_diff <= limit and self.fine_diff <= MAX_FINE_DIFF and not self.monochrome
                and self.colour_mean <= MAX_COLOUR_MEAN and self.colour_tile <= MAX_COLOUR_TILE)

    def edited(self, limit: float = MAX_TILE_DIFF) -> bool:
        """Not the same picture, but the same frame with a local change or a grey conversion."""
        if not self.aligned or self.same(limit):
            return False
        if self.monochrome:
            return self.tile_diff <= limit or self.changed <= MAX_EDIT_SHARE
        return 0 < self.changed <= MAX_EDIT_SHARE and self.colour_mean <= 2 * MAX_COLOUR_MEAN

    def tier(self, limit: float = MAX_TILE_DIFF) -> str | None:
        return "same" if self.same(limit) else "edited" if self.edited(limit) else None

    def describe(self) -> str:
        """What differs, for an edited pair."""
        if self.monochrome:
            return "monochrome or sepia version"
        return f"caption or local edit: {self.changed * 100:.1f} % of the frame differs"


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


def compare(
    thumb_a: bytes, size_a: tuple[int, int], thumb_b: bytes, size_b: tuple[int, int],
    colour_a: bytes | None = None, colour_b: bytes | None = None,
) -> Match:
    """Align a onto b (crop and scale per axis), fit the tone curve, then the worst tile; then
    the colour test on the same alignment (skipped when either has no colour thumbnail). When
    that is not the same picture, b onto a too, and the closer of the two: a curve can brighten
    the original into its clipped copy, but not bring back what the copy clipped."""
    first = _one_way(thumb_a, size_a, thumb_b, size_b, colour_a, colour_b)
    if first.same() or not first.aligned:
        return first
    second = _one_way(thumb_b, size_b, thumb_a, size_a, colour_b, colour_a)
    rank = {"same": 0, "edited": 1, None: 2}
    return min((first, second), key=lambda m: (rank[m.tier()], m.tile_diff))


def _one_way(
    thumb_a: bytes, size_a: tuple[int, int], thumb_b: bytes, size_b: tuple[int, int],
    colour_a: bytes | None, colour_b: bytes | None,
) -> Match:
    if abs(np.log((size_a[0] / size_a[1]) / (size_b[0] / size_b[1]))) > MAX_ASPECT:
        return Match(100.0, False)
    a = np.frombuffer(thumb_a, dtype=np.uint8).reshape(THUMB, THUMB).astype(np.float32)
    b = np.frombuffer(thumb_b, dtype=np.uint8).reshape(THUMB, THUMB).astype(np.float32)
    mapped, mask, margins = _align(a, b)
    channels = _map(_rgb(a, colour_a), margins) if colour_a else None
    fitted = tone_fit(mapped, b, mask, channels)
    diff = _tolerant(fitted, b)
    worst, failing = _windows(diff, mask)
    fine, fine_failing = _fine_windows(diff, mask, fitted, b)
    colour = _colour(colour_a, colour_b, margins) if colour_a and colour_b else None
    changed = 0.0
    if worst > MAX_TILE_DIFF or fine > MAX_FINE_DIFF or (colour is not None and colour[1] > MAX_COLOUR_TILE):
        hit = (failing | fine_failing) & (diff > CHANGED_PX)
        if colour is not None:
            scale = THUMB // COLOUR
            hit |= np.kron(colour[3] > MAX_COLOUR_TILE, np.ones((scale, scale), dtype=bool)) & mask
        changed = float(hit.sum() / max(mask.sum(), 1))
    if colour is None:
        return Match(worst, True, fine, changed=changed)
    return Match(worst, True, fine, colour[0], colour[1], changed, colour[2])


def _axis(profile_a: np.ndarray, profile_b: np.ndarray) -> tuple[int, int]:
    """The (lo, hi) margin indices that best map profile_a onto profile_b (each zero-mean, so
    that a brighter copy maps as well)."""
    mats, valid = _resamplers()
    mapped = mats @ profile_a
    err = np.where(valid, np.abs(mapped - mapped.mean(1, keepdims=True) - (profile_b - profile_b.mean())), 0)
    lo, hi = divmod(int(np.argmin(err.sum(1) / valid.sum(1))), len(MARGINS))
    return lo, hi


def _fits(a: np.ndarray, b: np.ndarray, ms: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a cropped by each of the margins ms (left, right, top, bottom) onto b's grid, with an
    affine fit of its grey levels over the overlap (any gain: the tone curve comes after, and is
    bounded there). All at once (numpy calls cost more than the arithmetic here). Returns (mean
    residual, mapped a, overlap mask), one per margin."""
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
    gain = np.where(var > 1e-6, np.clip(cov / np.maximum(var, 1e-6), 0.4, 2.5), 1.0)
    fitted = gain[:, None, None] * dx + my[:, None, None]  # dx is 0 outside the mask
    return (np.abs(fitted - b) * w).sum((1, 2)) / count, mapped, mask


def _align(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Crops act on x and y separately: a first guess per axis from the 1-D mean profiles (each
    axis again once the other is known), then coordinate descent on the 4 margins, 1 % a step.
    It starts from the uncropped alignment instead when that fits better (profiles can mislead).
    Returns a mapped onto b's grid, where it overlaps b, and the margins."""
    mats, _ = _resamplers()
    n = len(MARGINS)
    x = _axis(a.mean(0), b.mean(0))
    y = _axis((a @ mats[x[0] * n + x[1]].T).mean(1), b.mean(1))
    x = _axis((mats[y[0] * n + y[1]] @ a).mean(0), b.mean(0))
    ms: list[tuple[int, ...]] = [(x[0], x[1], y[0], y[1]), (n // 2,) * 4]
    score, mapped, mask = _fits(a, b, ms)
    k = int(np.argmin(score))
    best, m = (float(score[k]), mapped[k], mask[k]), ms[k]
    for _ in range(STEPS):
        ms = [m[:i] + (m[i] + d,) + m[i + 1 :] for i in range(4) for d in (-1, 1) if 0 <= m[i] + d < n]
        score, mapped, mask = _fits(a, b, ms)
        k = int(np.argmin(score))
        if score[k] >= best[0]:
            break
        best, m = (float(score[k]), mapped[k], mask[k]), ms[k]
    return best[1], best[2], m


@functools.cache
def _upsampler(n: int = COLOUR, m: int = THUMB) -> np.ndarray:
    """(m, n) linear interpolation from n to m samples of the same axis."""
    x = np.clip((np.arange(m) + 0.5) * n / m - 0.5, 0, n - 1)
    left = np.floor(x).astype(int)
    right = np.minimum(left + 1, n - 1)
    out = np.zeros((m, n))
    out[np.arange(m), left] += 1 - (x - left)
    out[np.arange(m), right] += x - left
    return out


LUMA = np.array([0.299, 0.587, 0.114])  # PIL's convert("L")


def _rgb(grey: np.ndarray, colour: bytes) -> np.ndarray:
    """(3, THUMB, THUMB): the grey thumbnail with the colour thumbnail's chroma added back (each
    channel's offset from grey, interpolated): right inside coloured areas, soft at their edges."""
    c = np.frombuffer(colour, dtype=np.uint8).reshape(COLOUR, COLOUR, 3).astype(np.float64)
    up = _upsampler()
    offset = np.stack([up @ (c[..., k] - c @ LUMA) @ up.T for k in range(3)])
    return np.clip(grey[None] + offset, 0, 255)


def _map(channels: np.ndarray, margins: tuple[int, ...]) -> np.ndarray:
    mats, _ = _resamplers()
    n = len(MARGINS)
    return mats[margins[2] * n + margins[3]] @ channels @ mats[margins[0] * n + margins[1]].T


@functools.cache
def _hats(levels: int = 256) -> np.ndarray:
    """(levels, len(KNOTS)) piecewise-linear interpolation weights: curve(v) = hats[v] @ knots."""
    v = np.arange(levels, dtype=np.float64)
    return np.stack([np.interp(v, KNOTS, np.eye(len(KNOTS))[k]) for k in range(len(KNOTS))], axis=1)


def _bounded(knots: np.ndarray) -> np.ndarray:
    """Knots within MAX_TONE of the identity, rising at least MIN_SLOPE a level from the middle
    out, so the curve may clip at either end (a brightened sky) but never flatten the picture: a
    flat curve would make any noise "the same" as a plain grey."""
    k = np.clip(knots, KNOTS - MAX_TONE, KNOTS + MAX_TONE)
    step = MIN_SLOPE * (KNOTS[1] - KNOTS[0])
    mid = len(k) // 2
    for i in range(mid, len(k)):
        k[i] = max(k[i], k[i - 1] + step)
    for i in range(mid - 1, -1, -1):
        k[i] = min(k[i], k[i + 1] - step)
    return k


def tone_fit(a: np.ndarray, b: np.ndarray, mask: np.ndarray, channels: np.ndarray | None = None) -> np.ndarray:
    """a through the monotone tone curve (values at KNOTS, each within MAX_TONE of the identity)
    that best maps it onto b over the overlap: least squares, then once more without the pixels
    the first fit left furthest off (a local change must not bend the curve for the rest).
    With a's colour `channels` (3, THUMB, THUMB) the curve acts on each channel, as an editor's
    does, and the grey is taken after: a brightened red clips in red alone, its grey follows.
    The curve is linear in its knots either way, so this stays one least-squares fit."""
    hats = _hats()
    if channels is None:
        design = hats[np.clip(np.rint(a), 0, 255).astype(np.intp)]
    else:
        levels = np.clip(np.rint(channels), 0, 255).astype(np.intp)
        design = sum(w * hats[levels[k]] for k, w in enumerate(LUMA))
    x, y = design[mask], b[mask].astype(np.float64)
    keep = np.ones(len(y), dtype=bool)
    knots = KNOTS
    for _ in range(2):
        xs, ys = x[keep], y[keep]
        knots, *_ = np.linalg.lstsq(xs.T @ xs + 1e-3 * np.eye(len(KNOTS)), xs.T @ ys + 1e-3 * KNOTS, rcond=None)
        knots = _bounded(knots)
        off = np.abs(x @ knots - y)
        keep = off <= np.quantile(off, 0.9) + 1.0
    # outside the overlap: b itself, so that the blur at the overlap's edge sees no false step
    return np.where(mask, np.clip(design @ knots, 0, 255), b).astype(np.float32)


def _chroma(rgb: np.ndarray) -> np.ndarray:
    """(..., 2): log R/G and log B/G, with CHROMA_K added to each channel."""
    rgb = rgb + CHROMA_K
    return np.stack([np.log(rgb[..., 0] / rgb[..., 1]), np.log(rgb[..., 2] / rgb[..., 1])], axis=-1)


def _spread(chroma: np.ndarray, w: np.ndarray) -> float:
    """How far a picture's most coloured tenth lies from its mean chroma (0: grey, or one tint
    such as sepia). A percentile, not a mean: an object on white is mostly white."""
    if w.sum() < 1:
        return 0.0
    mean = (chroma * w[..., None]).sum((0, 1)) / w.sum()
    return float(np.quantile(np.sqrt(((chroma - mean) ** 2).sum(-1))[w > 0], 0.9))


def _colour(colour_a: bytes, colour_b: bytes, margins: tuple[int, ...]) -> tuple[float, float, bool, np.ndarray]:
    """(mean chroma difference, worst 3x3 tile's, monochrome, per-pixel difference) of a mapped
    onto b with the grey test's margins, after fitting b = s * a + t (s: saturation or gamma,
    t: white balance). Pixels clipped in either (a channel near 0 or 255) carry no chroma."""
    mats, valid = _resamplers(COLOUR)
    n = len(MARGINS)
    ix, iy = margins[0] * n + margins[1], margins[2] * n + margins[3]
    a = np.frombuffer(colour_a, dtype=np.uint8).reshape(COLOUR, COLOUR, 3).astype(np.float64)
    b = np.frombuffer(colour_b, dtype=np.uint8).reshape(COLOUR, COLOUR, 3).astype(np.float64)
    a = _blur3(np.einsum("ij,jkc,lk->ilc", mats[iy], a, mats[ix]))
    b = _blur3(b)  # both softened alike: a crop moves the 16 px grid by a fraction of a tile
    mask = valid[iy][:, None] & valid[ix][None, :]
    usable = mask & (a.max(-1) < 250) & (b.max(-1) < 250) & (a.min(-1) > 3) & (b.min(-1) > 3)
    w = usable.astype(np.float64)
    ca, cb = _chroma(a), _chroma(b)
    none = np.zeros((COLOUR, COLOUR))
    if w.sum() < MIN_COLOUR_PIXELS:  # blown out or black: colour says nothing
        return 0.0, 0.0, False, none
    spread_a, spread_b = _spread(ca, w), _spread(cb, w)
    mean_a = (ca * w[..., None]).sum((0, 1)) / w.sum()
    mean_b = (cb * w[..., None]).sum((0, 1)) / w.sum()
    da, db = ca - mean_a, cb - mean_b
    monochrome = min(spread_a, spread_b) < GREY_SPREAD and max(spread_a, spread_b) > COLOURFUL
    if not monochrome and max(spread_a, spread_b) > FAINT_COLOUR:
        # the side whose colour follows its grey best is the toned one; the other must be in colour
        tint_a, tint_b = _beyond_tint(ca, a, w), _beyond_tint(cb, b, w)
        d_col, d_tone, spread_col = (da, db, spread_a) if tint_b <= tint_a else (db, da, spread_b)
        kept = float((d_col * d_tone * w[..., None]).sum() / max((d_col * d_col * w[..., None]).sum(), 1e-12))
        monochrome = min(tint_a, tint_b) <= ONE_TINT and spread_col > FAINT_COLOUR and kept < MIN_KEPT
    s = float(np.clip((da * db * w[..., None]).sum() / max((da * da * w[..., None]).sum(), 1e-9), *SATURATION))
    t = np.clip(mean_b - s * mean_a, -MAX_BALANCE, MAX_BALANCE)
    off = np.sqrt(((s * ca + t - cb) ** 2).sum(-1)) * w
    tiles = np.lib.stride_tricks.sliding_window_view(np.pad(off, 1), (3, 3)).sum((2, 3))
    counts = np.lib.stride_tricks.sliding_window_view(np.pad(w, 1), (3, 3)).sum((2, 3))
    worst = float((tiles / np.maximum(counts, 1e-9))[counts >= 4].max(initial=0.0))
    return float(off.sum() / w.sum()), worst, monochrome, np.where(counts >= 4, tiles / np.maximum(counts, 1e-9), 0)


def _beyond_tint(chroma: np.ndarray, rgb: np.ndarray, w: np.ndarray) -> float:
    """RMS chroma left once a quadratic function of the grey level is fitted: ~0 for a grey or
    toned (sepia, a white balance of grey) picture, whose colour follows its grey."""
    g = (rgb @ LUMA) / 255
    x = np.stack([np.ones_like(g), g, g * g], axis=-1)[w > 0]
    y = chroma[w > 0]
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    return float(np.sqrt(((x @ coef - y) ** 2).sum(-1).mean()))


def _blur3(rgb: np.ndarray) -> np.ndarray:
    return np.stack([_blur(rgb[..., k]) for k in range(3)], axis=-1)


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


def _windows(diff: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Largest mean of `diff` over WINDOW-px squares every STRIDE px (overlapping, so a changed
    region is never split thinly between tiles), in % of full scale; and the pixels covered by
    the windows past MAX_TILE_DIFF."""
    d = _box(np.where(mask, diff, 0), WINDOW)[::STRIDE, ::STRIDE]
    n = _box(mask.astype(np.float64), WINDOW)[::STRIDE, ::STRIDE]
    ok = n >= MIN_VALID * WINDOW * WINDOW
    if not ok.any():
        return 100.0, mask.copy()
    means = np.where(ok, d / np.maximum(n, 1e-9), 0) * 100 / 255
    starts = np.zeros((THUMB - WINDOW + 1, THUMB - WINDOW + 1), dtype=bool)
    starts[::STRIDE, ::STRIDE] = means > MAX_TILE_DIFF
    return float(means.max()), _covered(starts, WINDOW) & mask


def _box(x: np.ndarray, w: int) -> np.ndarray:
    """Sums of x over every w x w square (summed-area table): (h - w + 1, w' - w + 1)."""
    s = np.zeros((x.shape[0] + 1, x.shape[1] + 1))
    s[1:, 1:] = x.cumsum(0).cumsum(1)
    return s[w:, w:] - s[:-w, w:] - s[w:, :-w] + s[:-w, :-w]


def _covered(starts: np.ndarray, w: int) -> np.ndarray:
    """The THUMB x THUMB pixels that some w x w square covers, `starts` marking where the squares
    begin ((THUMB - w + 1) square): all at once (a different picture fails thousands)."""
    padded = np.zeros((THUMB + w - 1, THUMB + w - 1))
    padded[w - 1 : THUMB, w - 1 : THUMB] = starts
    return _box(padded, w) > 0.5


def _fine_windows(diff: np.ndarray, mask: np.ndarray, fitted: np.ndarray, b: np.ndarray) -> tuple[float, np.ndarray]:
    """Largest mean of `diff` over FINE_WINDOW-px squares at every pixel, among those where
    either picture has detail (FINE_DETAIL), in % of full scale; and the pixels of the squares
    past MAX_FINE_DIFF."""
    w = FINE_WINDOW

    def gradient(x: np.ndarray) -> np.ndarray:
        x = _blur(x)
        g = np.zeros_like(x, dtype=np.float64)
        g[:, :-1] += np.abs(np.diff(x, axis=1))
        g[:-1, :] += np.abs(np.diff(x, axis=0))
        return g

    d, n = _box(np.where(mask, diff, 0), w), _box(mask.astype(np.float64), w)
    detail = np.maximum(_box(gradient(fitted), w), _box(gradient(b), w)) / (w * w)
    ok = (n >= MIN_VALID * w * w) & (detail >= FINE_DETAIL)
    if not ok.any():
        return 0.0, np.zeros((THUMB, THUMB), dtype=bool)
    means = np.where(ok, d / np.maximum(n, 1e-9), 0) * 100 / 255
    return float(means.max()), _covered(means > MAX_FINE_DIFF, w) & mask


@dataclass(frozen=True)
class Signature:
    """What the early reject compares: the 8x8 grey layout (zero mean, unit spread) and the
    mean chroma, from the stored thumbnails in microseconds."""

    layout: np.ndarray  # 64 floats, or zeros for a flat picture
    spread: float  # grey standard deviation, levels
    chroma: np.ndarray | None  # mean (log R/G, log B/G), None without colour or when grey
    size: tuple[int, int]


def quick_signature(f: Fingerprint) -> Signature:
    grey = np.frombuffer(f.thumb, dtype=np.uint8).reshape(8, THUMB // 8, 8, THUMB // 8).mean((1, 3))
    spread = float(grey.std())
    layout = ((grey - grey.mean()) / spread).ravel() if spread > 1e-6 else np.zeros(64)
    chroma = None
    if f.colour:
        c = _chroma(np.frombuffer(f.colour, dtype=np.uint8).reshape(COLOUR, COLOUR, 3).astype(np.float64))
        if _spread(c, np.ones((COLOUR, COLOUR))) >= GREY_SPREAD:  # grey or sepia: left to the full test
            chroma = c.mean((0, 1))
    return Signature(layout, spread, chroma, (f.width, f.height))


# Early reject bounds, far outside what copies or edited versions reach (docs/dupes.md): a
# correlation of the 8x8 layouts below MIN_LAYOUT (when both have some, > LAYOUT_SPREAD levels),
# or mean chroma further apart than MAX_BALANCE + CHROMA_SLACK on an axis.
MIN_LAYOUT, LAYOUT_SPREAD, CHROMA_SLACK = 0.3, 4.0, 0.35


def quick_reject(a: Signature, b: Signature) -> bool:
    """True when the pair cannot be the same picture nor an edited version."""
    if abs(np.log((a.size[0] / a.size[1]) / (b.size[0] / b.size[1]))) > MAX_ASPECT:
        return True
    if a.spread > LAYOUT_SPREAD and b.spread > LAYOUT_SPREAD and float(a.layout @ b.layout) / 64 < MIN_LAYOUT:
        return True
    if a.chroma is not None and b.chroma is not None:
        return bool((np.abs(a.chroma - b.chroma) > MAX_BALANCE + CHROMA_SLACK).any())
    return False
