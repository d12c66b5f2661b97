"""What `dupes` answers: groups, each with a suggested keeper and how it was found. The daemon
sends it as JSON and the CLI renders it, so it round-trips through to_json/from_json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


TIER_OF_HOW = {"exact": "identical", "verified": "same", "edited": "edited", "loose": "loose"}
TRASHABLE = ("identical", "same")
KEEP_POLICIES = ("largest", "oldest", "newest", "shortest-path")


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
    kind: str  # "exact" (the same bytes) or "near" (the same picture, re-encoded or edited)
    members: list[Member]
    keeper: str  # suggested: the largest resolution, then the oldest
    how: str  # "exact", "verified" (pHash and every tile agree), "edited" or "loose" (pHash only)
    phash_bits: int  # largest pHash distance between two members (0 for exact)
    tile_diff: float | None  # largest tile difference, % (verified only)
    # "identical" (the same bytes), "same" (the same picture: resized, re-encoded, rotated,
    # cropped, tone-edited), "edited" (dupes --edits: a local change) or "loose" (pHash only).
    # Empty when built by older code: derived from `how`.
    tier: str = ""

    edit: str | None = None  # edited: what differs, "caption or local edit: 4.8 % of the frame differs"

    def __post_init__(self) -> None:
        if not self.tier:
            object.__setattr__(self, "tier", TIER_OF_HOW.get(self.how, "loose"))

    @property
    def trashable(self) -> bool:
        """Only true copies may be moved to the trash; edited versions and loose look-alikes
        are for a person to review."""
        return self.tier in TRASHABLE

    def why(self) -> str:
        if self.tier == "identical":
            return "identical bytes"
        if self.tier == "same":
            return (f"same picture: pHash {self.phash_bits} bits, largest tile difference {self.tile_diff:.1f} %"
                    if self.tile_diff is not None else "same picture")
        if self.tier == "edited":
            return f"edited version, for review: {self.edit or 'a part of the frame differs'}"
        return f"visually similar (--loose, not verified tile by tile): pHash {self.phash_bits} bits"


@dataclass(frozen=True)
class DupesReport:
    model: str
    groups: list[Group]
    roots: list[str] = field(default_factory=list)  # the indexed folders: tables show paths within them

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for g, out in zip(self.groups, data["groups"]):
            out["why"] = g.why()
            out["trashable"] = g.trashable
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DupesReport":
        return cls(data["model"], [
            Group(g["kind"], [Member(**m) for m in g["members"]], g["keeper"], g["how"], g["phash_bits"], g["tile_diff"],
                  g.get("tier", ""), g.get("edit"))
            for g in data["groups"]
        ], data.get("roots", []))


def keeper(members: list[Member], policy: str | None = None) -> str:
    """The member to keep: by default the most pixels, then the most bytes (a re-encode at the
    same size is smaller), then the oldest (`taken` is ISO 8601, so it sorts as text). `policy`
    (dupes --keep) chooses among the best copies only (the most pixels, then the most bytes), so
    no policy keeps a downscaled or re-encoded copy: largest (the default's order), oldest,
    newest or shortest-path. Ties go to the first member listed."""
    def pixels(m: Member) -> int:
        return (m.width or 0) * (m.height or 0)

    if policy is None or policy == "largest":
        return min(members, key=lambda m: (-pixels(m), -m.bytes, m.taken or "9999")).path
    top = max((pixels(m), m.bytes) for m in members)
    best = [m for m in members if (pixels(m), m.bytes) == top]
    if policy == "oldest":
        return min(best, key=lambda m: m.taken or "9999").path
    if policy == "newest":
        return max(best, key=lambda m: m.taken or "").path
    if policy == "shortest-path":
        return min(best, key=lambda m: (len(m.path), m.path)).path
    raise ValueError(f"unknown keep policy {policy!r}; use one of {', '.join(KEEP_POLICIES)}")
