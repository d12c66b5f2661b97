"""Candidates among plain pictures (a sky, a wall, a blurred frame): their pHash is noise.

pHash keeps the signs of 64 low frequencies against their median; in a picture with almost no
structure most of those are ~0, so a resized copy differs in ~30 bits, as a stranger does. Such
pictures are paired instead by their colour layout: the mean RGB of each quarter of the frame
(12 numbers, from the stored 16x16 colour thumbnail), every pair within PLAIN_RADIUS found
exactly through a grid of the frame's mean colour (a pair within the radius on the 12 numbers is
within it on their mean, so in the same or a neighbouring cell). Pairs then go through the same
full test as any other.
"""

from __future__ import annotations

import itertools
from typing import Iterable

import numpy as np

from photofind.media.fingerprint import COLOUR

PLAIN_DETAIL = 4.0  # grey levels of detail (std about a bilinear surface) below which pHash is noise
PLAIN_RADIUS = 4.0  # Euclidean, levels over the 12 numbers: resized + q85 copies moved them <= 1.2 (34k bench); distinct plain photos of near-equal colours sit at 7.5+
LUMA = np.array([0.299, 0.587, 0.114])
_xy = (np.arange(COLOUR) - (COLOUR - 1) / 2) / COLOUR
_basis = np.stack([np.ones(COLOUR * COLOUR), np.repeat(_xy, COLOUR), np.tile(_xy, COLOUR),
                   np.repeat(_xy, COLOUR) * np.tile(_xy, COLOUR)], axis=1)
_SMOOTH = (_basis @ np.linalg.pinv(_basis)).astype(np.float32)  # projection onto a + bx + cy + dxy


def layouts(colours: Iterable[bytes | None], chunk: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """(n, 12) quarter means (float32) and which of the n pictures are plain, a chunk at a time."""
    size, h = COLOUR * COLOUR * 3, COLOUR // 2
    out, plain = [], []
    it = iter(colours)
    while batch := list(itertools.islice(it, chunk)):
        has = np.array([bool(c) for c in batch])
        raw = b"".join(c if c else bytes(size) for c in batch)
        rgb = np.frombuffer(raw, dtype=np.uint8).reshape(-1, COLOUR, COLOUR, 3).astype(np.float32)
        quarters = rgb.reshape(-1, 2, h, 2, h, 3).mean((2, 4))  # (n, 2, 2, 3)
        grey = (rgb @ LUMA.astype(np.float32)).reshape(len(batch), -1)
        detail = (grey - grey @ _SMOOTH).std(1)  # what a bilinear surface leaves: the structure
        out.append(quarters.reshape(len(batch), 12))
        plain.append(has & (detail < PLAIN_DETAIL))
    if not out:
        return np.empty((0, 12), dtype=np.float32), np.zeros(0, dtype=bool)
    return np.concatenate(out), np.concatenate(plain)


def plain_pairs(layout: np.ndarray, plain: np.ndarray) -> np.ndarray:
    """Every pair (i < j) of plain pictures within PLAIN_RADIUS, as a (k, 2) array."""
    idx = np.nonzero(plain)[0]
    if len(idx) < 2:
        return np.empty((0, 2), dtype=np.int64)
    means = layout[idx].reshape(-1, 4, 3).mean(1)
    cells = np.floor(means / PLAIN_RADIUS).astype(np.int64)
    buckets: dict[tuple[int, int, int], list[int]] = {}
    for k, cell in enumerate(map(tuple, cells.tolist())):
        buckets.setdefault(cell, []).append(k)
    found = []
    offsets = list(itertools.product((-1, 0, 1), repeat=3))
    for cell, members in buckets.items():
        near = [k for d in offsets for k in buckets.get((cell[0] + d[0], cell[1] + d[1], cell[2] + d[2]), [])]
        a, b = np.array(members)[:, None], np.array(near)[None, :]
        a, b = np.broadcast_arrays(a, b)
        keep = (a < b) & (np.linalg.norm(layout[idx[a]] - layout[idx[b]], axis=-1) <= PLAIN_RADIUS)
        if keep.any():
            found.append(np.stack([idx[a[keep]], idx[b[keep]]], axis=1))
    return np.unique(np.concatenate(found), axis=0) if found else np.empty((0, 2), dtype=np.int64)
