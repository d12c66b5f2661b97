"""find_dupes: exact groups from SQL, then near groups from candidate pairs that pass the
global test (pHash) and, unless loose, a cheap early reject (8x8 grey layout, mean colour) and the
local one (every tile of the aligned thumbnails, in tone and colour). Each group has a tier:
"identical" (same bytes), "same" (same picture), "edited" (with edits=True: the same frame with a
local change, or a grey conversion; for review) or "loose" (the pHash test alone).

Memory stays bounded by the library's pHashes (8 bytes each, plus ids): no vector is read, and
thumbnails only for the pairs being verified, a chunk at a time. Each group names a keeper (largest
resolution, then oldest); nothing is ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from contextlib import AbstractContextManager, nullcontext
from typing import Callable, Iterator

import numpy as np

from photofind.dupes.defaults import MAX_DISTANCE
from photofind.dupes import candidates as cand
from photofind.dupes.plain import layouts, plain_pairs
from photofind.dupes.report import DupesReport, Group, Member, keeper
from photofind.dupes.verify import Match, compare, quick_signature, quick_reject
from photofind.errors import NotAnImageError
from photofind.media.fingerprint import Fingerprint, fingerprint_file
from photofind.store.catalog import Catalog, FileRow
from photofind.store.vectors import VectorStore

FILL_COMMIT = 200  # fingerprints computed on demand are committed this often (resumable)
VERIFY_CHUNK = 4096  # pairs verified per batch of thumbnails read
FULL_CHECK = 40  # groups up to this size have every pair verified, larger ones each against its first

Progress = Callable[[int, int], None]


def find_dupes(
    catalog: Catalog,
    vectors: VectorStore,
    *,
    near: bool = True,
    max_distance: int = MAX_DISTANCE,
    loose: bool = False,
    edits: bool = False,
    on_progress: Progress | None = None,
    write_lock: "AbstractContextManager[object] | None" = None,
) -> DupesReport:
    """Reads the catalog only (fingerprints, rows): Chroma is never opened. `vectors` names the
    model in the report. `write_lock` (the server's) is held only while refilled fingerprints are
    written, so queries go on while dupes works."""
    exact = list(catalog.exact_groups())
    near_groups: list[_Found] = []
    lock = write_lock or nullcontext()
    if near:
        fill_fingerprints(catalog, on_progress, lock=lock)
        near_groups = _near(catalog, max_distance, loose, edits, on_progress)
    in_near = {h for f in near_groups if f.tier != "edited" for h in f.hashes}
    in_any = {h for f in near_groups for h in f.hashes}
    exact = [rows for rows in exact if rows[0].hash not in in_near]  # listed in their near group
    wanted = in_near | {rows[0].hash for rows in exact}
    prints = catalog.fingerprints(wanted)
    missing = wanted - set(prints)
    if missing:  # --exact-only on an older store: fingerprints of these only
        fill_fingerprints(catalog, None, only=missing, lock=lock)
        prints.update(catalog.fingerprints(missing))
    rows = catalog.rows_by_hash(in_any)
    groups = [_group(_members(group, prints), "exact", 0, None) for group in exact]
    for f in near_groups:
        members = [m for h in sorted(f.hashes) for m in _members(rows.get(h, []), prints)]
        how = "loose" if loose else "edited" if f.tier == "edited" else "verified"
        groups.append(_group(members, how, f.bits, f.tile, f.edit))
    order = {"identical": 0, "same": 1, "edited": 2, "loose": 1}
    groups.sort(key=lambda g: (order[g.tier], g.members[0].path))
    return DupesReport(vectors.embedder_id, groups, [str(r) for r in catalog.roots()])


def fill_fingerprints(
    catalog: Catalog, on_progress: Progress | None, only: set[str] | None = None,
    lock: "AbstractContextManager[object] | None" = None,
) -> int:
    """Fingerprints of content indexed before photofind kept them (or before it kept colour):
    decoded once from one of its files and stored. Returns how many were tried."""
    todo = [(h, p) for h, p in catalog.without_fingerprint() if only is None or h in only]
    done: list[tuple[str, Fingerprint]] = []
    for i, (digest, path) in enumerate(todo, start=1):
        try:
            done.append((digest, fingerprint_file(path)))
        except (NotAnImageError, OSError):
            pass  # gone or unreadable since it was indexed: the next index sorts it out
        if len(done) >= FILL_COMMIT or i == len(todo):
            with lock or nullcontext(), catalog.transaction():
                catalog.put_fingerprints(done)
            done = []
        if on_progress:
            on_progress(i, len(todo))
    return len(todo)


@dataclass
class _Found:
    hashes: list[str]
    tier: str  # "same", "edited" or "loose"
    bits: int
    tile: float | None
    edit: str | None = None  # what differs, for "edited"


Pair = tuple[int, int]


@dataclass
class _Pairs:
    """The verified pairs: (pHash bits, tile difference, tier, what differs) by index pair."""

    kept: dict[Pair, tuple[int, float | None, str, str | None, float]]

    def of(self, tier: str) -> dict[Pair, tuple[int, float | None, str, str | None, float]]:
        return {k: v for k, v in self.kept.items() if v[2] == tier}


def _near(
    catalog: Catalog, max_distance: int, loose: bool, edits: bool, on_progress: Progress | None
) -> list[_Found]:
    hashes: list[str] = []
    outer: list[int] = []
    inner: list[int] = []

    def colours() -> Iterator[bytes | None]:
        for h, o, i, c in catalog.phashes():
            hashes.append(h)
            outer.append(int(o, 16))
            inner.append(int(i, 16))
            yield c

    layout, plain = layouts(colours())  # the colour layouts a chunk at a time, never all thumbnails
    codes = (np.array(outer, dtype=np.uint64), np.array(inner, dtype=np.uint64))
    del outer, inner
    found = list(cand.near_pairs(codes[0], codes[1], max_distance, on_progress))
    if not loose:  # plain pictures, whose pHash is noise, by their colour layout
        found.append(plain_pairs(layout, plain))
    del layout
    pairs = np.unique(np.concatenate(found), axis=0) if found else np.empty((0, 2), dtype=np.int64)
    del found
    _, bits = cand.global_test(*codes, pairs, max_distance)
    if loose:
        kept = {(int(a), int(b)): (int(d), None, "loose", None, 0.0) for (a, b), d in zip(pairs.tolist(), bits.tolist())}
    else:
        kept = _verify(catalog, hashes, pairs, bits)
    verified = _Pairs(kept)
    out: list[_Found] = []
    tier = "loose" if loose else "same"
    same_of: dict[int, int] = {}
    for members in _clusters(len(hashes), verified.of(tier)):
        for part in _split(catalog, hashes, codes, members, verified, max_distance, (tier,), plain):
            if len(part) > 1:
                inside = [kept[(a, b)] for a in part for b in part if (a, b) in kept]
                tiles = [t for _, t, *_ in inside if t is not None]
                out.append(_Found([hashes[i] for i in part], tier, max(d for d, *_ in inside),
                                  max(tiles) if tiles else None))
                for i in part:
                    same_of[i] = len(out)
    if edits and not loose:
        # pairs across different same-picture groups (or singletons) that are edited versions
        links = {k: v for k, v in verified.of("edited").items() if same_of.get(k[0], -k[0] - 1) != same_of.get(k[1], -k[1] - 2)}
        for members in _clusters(len(hashes), links):
            for part in _split(catalog, hashes, codes, members, verified, max_distance, ("same", "edited"), plain):
                inside = [kept[(a, b)] for a in part for b in part if (a, b) in kept and kept[(a, b)][2] == "edited"]
                if len(part) > 1 and inside:
                    worst = max(inside, key=lambda v: v[4])
                    tiles = [t for _, t, *_ in inside if t is not None]
                    out.append(_Found([hashes[i] for i in part], "edited", max(d for d, *_ in inside),
                                      max(tiles) if tiles else None, worst[3]))
    return out


def _verify(
    catalog: Catalog, hashes: list[str], pairs: np.ndarray, bits: np.ndarray
) -> dict[Pair, tuple[int, float | None, str, str | None, float]]:
    """The candidate pairs whose thumbnails agree tile by tile (or, as edited versions, all but
    a part of the frame), with their figures. A cheap test on each chunk's pairs first drops those
    whose 8x8 grey layout or mean colour could not agree, before the ~3 ms full test."""
    kept: dict[Pair, tuple[int, float | None, str, str | None, float]] = {}
    for start in range(0, len(pairs), VERIFY_CHUNK):
        chunk = pairs[start : start + VERIFY_CHUNK]
        prints = catalog.fingerprints({hashes[i] for i in chunk.ravel()})
        sigs = {h: quick_signature(f) for h, f in prints.items()}
        for (a, b), d in zip(chunk.tolist(), bits[start : start + VERIFY_CHUNK].tolist()):
            pa, pb = prints.get(hashes[a]), prints.get(hashes[b])
            if not (pa and pb) or quick_reject(sigs[hashes[a]], sigs[hashes[b]]):
                continue
            match = _compare(pa, pb)
            tier = match.tier()
            if tier:
                kept[(a, b)] = (d, round(match.tile_diff, 2), tier, match.describe() if tier == "edited" else None,
                                1.0 if match.monochrome else match.changed)
    return kept


def _compare(pa: Fingerprint, pb: Fingerprint) -> Match:
    return compare(pa.thumb, (pa.width, pa.height), pb.thumb, (pb.width, pb.height), pa.colour, pb.colour)


def _clusters(n: int, kept: dict[tuple[int, int], object]) -> list[list[int]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in kept:
        parent[find(a)] = find(b)
    out: dict[int, list[int]] = {}
    for x in {i for pair in kept for i in pair}:
        out.setdefault(find(x), []).append(x)
    return [sorted(v) for v in out.values() if len(v) > 1]


def _split(
    catalog: Catalog,
    hashes: list[str],
    codes: tuple[np.ndarray, np.ndarray],
    members: list[int],
    verified: _Pairs,
    max_distance: int,
    tiers: tuple[str, ...],
    plain: np.ndarray,
) -> list[list[int]]:
    """A chain A~B~C does not make A~C: place each member in the first group whose members it
    all matches in one of `tiers` (up to FULL_CHECK of them), checking the pairs not yet compared."""
    kept = verified.kept
    if len(members) == 2:
        return [members]
    loose = tiers == ("loose",)
    prints = {} if loose else catalog.fingerprints(hashes[i] for i in members)
    differ: set[Pair] = set()

    def same(a: int, b: int) -> bool:
        a, b = min(a, b), max(a, b)
        if (a, b) in kept:
            return kept[(a, b)][2] in tiers
        if (a, b) in differ:
            return False
        passes, shown = cand.global_test(*codes, np.array([[a, b]]), max_distance)
        ok, d = bool(passes[0]) or bool(plain[a] and plain[b]), int(shown[0])
        if ok and loose:
            kept[(a, b)] = (d, None, "loose", None, 0.0)
            return True
        pa, pb = prints.get(hashes[a]), prints.get(hashes[b])
        match = _compare(pa, pb) if ok and pa and pb else None
        tier = match.tier() if match else None
        if match is None or tier is None:
            differ.add((a, b))
            return False
        kept[(a, b)] = (d, round(match.tile_diff, 2), tier, match.describe() if tier == "edited" else None,
                        1.0 if match.monochrome else match.changed)
        return tier in tiers

    groups: list[list[int]] = []
    for m in members:
        home = next((g for g in groups if all(same(m, o) for o in g[:FULL_CHECK])), None)
        if home is None:
            groups.append([m])
        else:
            home.append(m)
    return groups


def _members(rows: list[FileRow], prints: dict[str, Fingerprint]) -> list[Member]:
    out = []
    for r in rows:
        f = prints.get(r.hash or "")
        taken = (f.taken if f else None) or datetime.fromtimestamp(r.mtime_ns / 1e9).isoformat(timespec="seconds")
        out.append(Member(r.path, r.size, f.width if f else None, f.height if f else None, taken, r.hash or ""))
    return out


def _group(members: list[Member], how: str, bits: int, tile: float | None, edit: str | None = None) -> Group:
    tier = {"exact": "identical", "verified": "same"}.get(how, how)
    return Group("exact" if how == "exact" else "near", members, keeper(members), how, bits, tile, tier, edit)
