"""True duplicates, never merely similar photos.

- exact: the same bytes (content hash) under several paths;
- near: the same photo resized, re-encoded, lightly cropped or stored rotated with an EXIF
  tag. Candidates are each photo's nearest neighbours in the model's index; a pair is kept
  only if the perceptual hashes of the two upright pictures are within `max_distance` bits,
  which two shots of one scene, with things moved, are not.

Each group names a keeper (largest resolution, then oldest) and nothing is ever deleted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Callable

from photofind.store.catalog import Catalog
from photofind.errors import NotAnImageError
from photofind.media.fingerprint import hamming, phash
from photofind.media.images import open_image
from photofind.store.vectors import VectorStore

NEIGHBOURS = 8  # candidates asked of the index per photo
MAX_DISTANCE = 12  # of 64 bits; measured: resize/re-encode 0-2, 4% crop 6-12, objects moved 22-32


@dataclass(frozen=True)
class Member:
    path: str
    bytes: int
    width: int | None
    height: int | None
    taken: str | None  # EXIF date, else the file time recorded at index time
    hash: str


@dataclass(frozen=True)
class Group:
    kind: str  # "exact" or "near"
    members: list[Member]
    keeper: str  # suggested: the largest resolution, then the oldest
    distance: int  # largest pHash distance inside the group (0 for exact)


@dataclass(frozen=True)
class DupesReport:
    model: str
    groups: list[Group]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DupesReport":
        return cls(data["model"], [Group(g["kind"], [Member(**m) for m in g["members"]], g["keeper"], g["distance"])
                                   for g in data["groups"]])


def keeper(members: list[Member]) -> str:
    def key(m: Member) -> tuple[int, str]:
        pixels = (m.width or 0) * (m.height or 0)
        return (-pixels, m.taken or "9999")

    return min(members, key=key).path


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def find_dupes(
    catalog: Catalog,
    vectors: VectorStore,
    *,
    near: bool = True,
    max_distance: int = MAX_DISTANCE,
    on_progress: Callable[[int, int], None] | None = None,
) -> DupesReport:
    rows = list(catalog.iter_ok())
    by_hash: dict[str, list] = {}
    for r in rows:
        by_hash.setdefault(r.hash, []).append(r)
    stored = vectors.get(list(by_hash)) if by_hash else {}  # hash -> (vector, metadata), one read
    meta = {h: m for h, (_, m) in stored.items()}

    def members(digest: str) -> list[Member]:
        m = meta.get(digest, {})
        out = []
        for r in by_hash[digest]:
            taken = m.get("taken") or datetime.fromtimestamp(r.mtime_ns / 1e9).isoformat(timespec="seconds")
            out.append(Member(r.path, r.size, m.get("width"), m.get("height"), taken, digest))
        return out

    groups: list[Group] = []
    grouped: set[str] = set()
    if near:
        hashes = sorted(h for h in by_hash if h in meta)
        prints = {h: _phash_of(h, meta[h], by_hash[h][0].path) for h in hashes}
        uf = _UnionFind()
        worst: dict[tuple[str, str], int] = {}
        for i, h in enumerate(hashes):
            for hit in vectors.query(stored[h][0], NEIGHBOURS + 1):
                other = hit.id
                if other == h or other not in prints or prints[h] is None or prints[other] is None:
                    continue
                d = hamming(prints[h], prints[other])  # type: ignore[arg-type]
                if d <= max_distance:
                    uf.union(h, other)
                    worst[tuple(sorted((h, other)))] = d  # type: ignore[index]
            if on_progress:
                on_progress(i + 1, len(hashes))
        clusters: dict[str, list[str]] = {}
        for h in hashes:
            clusters.setdefault(uf.find(h), []).append(h)
        for cluster in clusters.values():
            if len(cluster) < 2:
                continue
            ms = [m for h in sorted(cluster) for m in members(h)]
            dist = max((d for (a, b), d in worst.items() if a in cluster and b in cluster), default=0)
            groups.append(Group("near", ms, keeper(ms), dist))
            grouped.update(cluster)
    for digest, rs in sorted(by_hash.items()):
        if len(rs) > 1 and digest not in grouped:  # exact copies inside a near group are listed there
            ms = members(digest)
            groups.append(Group("exact", ms, keeper(ms), 0))
    groups.sort(key=lambda g: (g.kind != "exact", g.members[0].path))
    return DupesReport(vectors.embedder_id, groups)


def _phash_of(digest: str, meta: dict[str, Any], path: str) -> str | None:
    """Stored at index time; computed now for vectors indexed before photofind kept it."""
    if meta.get("phash"):
        return str(meta["phash"])
    try:
        return phash(open_image(path, min_side=64)[0])
    except NotAnImageError:
        return None
