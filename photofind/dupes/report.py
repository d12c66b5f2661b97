"""What `dupes` answers: groups, each with a suggested keeper and how it was found. The daemon
sends it as JSON and the CLI renders it, so it round-trips through to_json/from_json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    tile_diff: float | None  # largest tile difference, % (verified and edited only)
    # "identical" (same bytes), "same" (same picture: resized, re-encoded, rotated, cropped <= 5 %,
    # tone-edited), "edited" (dupes --edits: a local change or a grey conversion; for review) or
    # "loose" (dupes --loose: the pHash test alone)
    tier: str = "same"
    edit: str | None = None  # edited: what differs, "caption or local edit: 4.8 % of the frame differs"

    @property
    def trashable(self) -> bool:
        """Copies a person may clear away without looking: never edited versions, never loose."""
        return self.tier in ("identical", "same")

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
                  g.get("tier") or _tier_of(g["how"]), g.get("edit"))
            for g in data["groups"]
        ], data.get("roots", []))


def _tier_of(how: str) -> str:
    """A report from before tiers (a server of an older photofind)."""
    return {"exact": "identical", "verified": "same"}.get(how, how)


def keeper(members: list[Member]) -> str:
    def key(m: Member) -> tuple[int, str]:
        pixels = (m.width or 0) * (m.height or 0)
        return (-pixels, m.taken or "9999")

    return min(members, key=key).path
