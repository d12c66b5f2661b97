"""find_dupes: exact groups from SQL, then near groups from candidate pairs that pass the
global test (pHash) and, unless loose, the local one (every tile of the aligned thumbnails).

Memory stays bounded by the library's pHashes (8 bytes each, plus ids): no vector is read, and
thumbnails only for the pairs being verified, a chunk at a time. Each group names a keeper (largest
resolution, then oldest); nothing is ever deleted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Callable

import numpy as np

from photofind.dupes.defaults import MAX_DISTANCE
from photofind.dupes import candidates as cand
from photofind.dupes.report import DupesReport, Group, Member, keeper
from photofind.dupes.verify import compare
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
    on_progress: Progress | None = None,
) -> DupesReport:
    """Reads the catalog only (fingerprints, rows): Chroma is never opened. `vectors` names the
    model in the report."""
    exact = list(catalog.exact_groups())
    near_groups: list[tuple[list[str], int, float | None]] = []
    if near:
        fill_fingerprints(catalog, on_progress)
        near_groups = _near(catalog, max_distance, loose, on_progress)
    in_near = {h for hashes, _, _ in near_groups for h in hashes}
    exact = [rows for rows in exact if rows[0].hash not in in_near]  # listed in their near group
    wanted = in_near | {rows[0].hash for rows in exact}
    prints = catalog.fingerprints(wanted)
    missing = wanted - set(prints)
    if missing:  # --exact-only on an older store: fingerprints of these only
        fill_fingerprints(catalog, None, only=missing)
        prints.update(catalog.fingerprints(missing))
    rows = catalog.rows_by_hash(in_near)
    groups = [_group(_members(group, prints), "exact", 0, None) for group in exact]
    for hashes, worst_bits, worst_tile in near_groups:
        members = [m for h in sorted(hashes) for m in _members(rows.get(h, []), prints)]
        groups.append(_group(members, "loose" if loose else "verified", worst_bits, worst_tile))
    groups.sort(key=lambda g: (g.kind != "exact", g.members[0].path))
    return DupesReport(vectors.embedder_id, groups, [str(r) for r in catalog.roots()])


def fill_fingerprints(catalog: Catalog, on_progress: Progress | None, only: set[str] | None = None) -> int:
    """Fingerprints of content indexed before photofind kept them: decoded once from one of
    its files and stored. Returns how many were added."""
    todo = [(h, p) for h, p in catalog.without_fingerprint() if only is None or h in only]
    done: list[tuple[str, Fingerprint]] = []
    for i, (digest, path) in enumerate(todo, start=1):
        try:
            done.append((digest, fingerprint_file(path)))
        except (NotAnImageError, OSError):
            pass  # gone or unreadable since it was indexed: the next index sorts it out
        if len(done) >= FILL_COMMIT or i == len(todo):
            with catalog.transaction():
                catalog.put_fingerprints(done)
            done = []
        if on_progress:
            on_progress(i, len(todo))
    return len(todo)


def _near(
    catalog: Catalog, max_distance: int, loose: bool, on_progress: Progress | None
) -> list[tuple[list[str], int, float | None]]:
    hashes, outer, inner = [], [], []
    for h, o, i in catalog.phashes():
        hashes.append(h)
        outer.append(o)
        inner.append(i)
    codes = (cand.codes(outer), cand.codes(inner))
    del outer, inner
    found = list(cand.close_pairs(codes[0], max_distance, on_progress))
    found += cand.crop_pairs(*codes, on_progress)
    pairs = np.unique(np.concatenate(found), axis=0) if found else np.empty((0, 2), dtype=np.int64)
    del found
    _, bits = cand.global_test(*codes, pairs, max_distance)
    if loose:
        kept = {(int(a), int(b)): (int(d), None) for (a, b), d in zip(pairs.tolist(), bits.tolist())}
    else:
        kept = _verify(catalog, hashes, pairs, bits)
    clusters = _clusters(len(hashes), kept)
    out = []
    for members in clusters:
        for part in _split(catalog, hashes, codes, members, kept, max_distance, loose):
            if len(part) > 1:
                inside = [kept[(a, b)] for a in part for b in part if (a, b) in kept]
                tiles = [t for _, t in inside if t is not None]
                out.append(([hashes[i] for i in part], max(d for d, _ in inside), max(tiles) if tiles else None))
    return out


def _verify(
    catalog: Catalog, hashes: list[str], pairs: np.ndarray, bits: np.ndarray
) -> dict[tuple[int, int], tuple[int, float | None]]:
    """The candidate pairs whose thumbnails agree tile by tile, with their figures."""
    kept: dict[tuple[int, int], tuple[int, float | None]] = {}
    for start in range(0, len(pairs), VERIFY_CHUNK):
        chunk = pairs[start : start + VERIFY_CHUNK]
        prints = catalog.fingerprints({hashes[i] for i in chunk.ravel()})
        for (a, b), d in zip(chunk.tolist(), bits[start : start + VERIFY_CHUNK].tolist()):
            pa, pb = prints.get(hashes[a]), prints.get(hashes[b])
            if pa and pb:
                match = compare(pa.thumb, (pa.width, pa.height), pb.thumb, (pb.width, pb.height))
                if match.same():
                    kept[(a, b)] = (d, round(match.tile_diff, 2))
    return kept


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
    kept: dict[tuple[int, int], tuple[int, float | None]],
    max_distance: int,
    loose: bool,
) -> list[list[int]]:
    """A chain A~B~C does not make A~C: place each member in the first group whose members it
    all matches (up to FULL_CHECK of them), checking the pairs not yet compared."""
    if len(members) == 2:
        return [members]
    prints = {} if loose else catalog.fingerprints(hashes[i] for i in members)
    differ: set[tuple[int, int]] = set()

    def same(a: int, b: int) -> bool:
        a, b = min(a, b), max(a, b)
        if (a, b) in kept:
            return True
        if (a, b) in differ:
            return False
        passes, shown = cand.global_test(*codes, np.array([[a, b]]), max_distance)
        ok, d = bool(passes[0]), int(shown[0])
        tile = None
        if ok and not loose:
            pa, pb = prints.get(hashes[a]), prints.get(hashes[b])
            match = compare(pa.thumb, (pa.width, pa.height), pb.thumb, (pb.width, pb.height)) if pa and pb else None
            tile = round(match.tile_diff, 2) if match and match.same() else None
        if not ok or (not loose and tile is None):
            differ.add((a, b))
            return False
        kept[(a, b)] = (d, tile)
        return True

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


def _group(members: list[Member], how: str, bits: int, tile: float | None) -> Group:
    tier = {"exact": "identical", "verified": "same"}.get(how, "loose")
    return Group("exact" if how == "exact" else "near", members, keeper(members), how, bits, tile, tier)
