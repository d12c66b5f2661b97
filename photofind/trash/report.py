"""What `dupes --trash` and `restore` are asked and answer. Light (no numpy, no store): the
CLI builds these, the socket carries them as JSON, the store's owner acts on them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from photofind.dupes.report import DupesReport, Group, keeper


@dataclass(frozen=True)
class Item:
    """A file, with the content hash and size it had when `dupes` listed it."""

    path: str
    hash: str
    bytes: int = 0


@dataclass(frozen=True)
class GroupMove:
    """One group's plan: the keeper stays (it must still be there, unchanged, or nothing of the
    group moves), the others go to the trash."""

    keeper: Item
    move: tuple[Item, ...]

    def to_json(self) -> dict[str, Any]:
        return {"keeper": asdict(self.keeper), "move": [asdict(m) for m in self.move]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "GroupMove":
        return cls(Item(**data["keeper"]), tuple(Item(**m) for m in data["move"]))


@dataclass(frozen=True)
class TrashPlan:
    groups: tuple[GroupMove, ...]
    left_for_review: int = 0  # groups not trashable (edited versions, loose look-alikes)

    @property
    def files(self) -> int:
        return sum(len(g.move) for g in self.groups)

    @property
    def bytes(self) -> int:
        return sum(m.bytes for g in self.groups for m in g.move)


def plan(report: DupesReport, keep: str | None = None) -> TrashPlan:
    """Every member but the keeper of each trashable group ("identical", "same"); `keep` is a
    --keep policy (None: the report's suggested keeper). A group never loses its last copy:
    its keeper is never in the plan."""
    groups = []
    for g in report.groups:
        if not g.trashable or len(g.members) < 2:
            continue
        groups.append(group_move(g, keeper(g.members, keep) if keep else g.keeper))
    return TrashPlan(tuple(groups), sum(1 for g in report.groups if not g.trashable))


def group_move(g: Group, keeper_path: str, chosen: set[str] | None = None) -> GroupMove:
    """`g` with `keeper_path` kept; the others (or only those of them in `chosen`) move."""
    by_path = {m.path: m for m in g.members}
    k = by_path[keeper_path]
    move = tuple(Item(m.path, m.hash, m.bytes) for m in g.members
                 if m.path != keeper_path and (chosen is None or m.path in chosen))
    return GroupMove(Item(k.path, k.hash, k.bytes), move)


@dataclass
class TrashReport:
    operation: str  # the journal's id for it ("" when nothing was moved and no journal written)
    moved: list[tuple[str, str]] = field(default_factory=list)  # (original path, where in the trash)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why it stayed)
    bytes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TrashReport":
        return cls(data["operation"], [tuple(x) for x in data["moved"]], [tuple(x) for x in data["skipped"]],
                   data.get("bytes", 0))


@dataclass
class RestoreReport:
    operation: str
    restored: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    folders_made: list[str] = field(default_factory=list)
    indexed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RestoreReport":
        return cls(data["operation"], list(data["restored"]), [tuple(x) for x in data["skipped"]],
                   list(data.get("folders_made", [])), data.get("indexed", 0))


@dataclass
class JournalReport:
    """The operations in the journal, newest last (each as Operation.to_json())."""

    operations: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "JournalReport":
        return cls(list(data["operations"]))

    def last(self) -> dict[str, Any] | None:
        """The newest operation that moved anything (one that only skipped files does not count)."""
        return next((op for op in reversed(self.operations) if op["files"]), None)

    def last_restorable(self) -> dict[str, Any] | None:
        """The last operation, while it has files in the trash. Strictly the last: once it is
        restored, an older one is restored only when named (`restore ID`), never by a second
        `restore`."""
        op = self.last()
        return op if op is not None and op["states"].get("in trash") else None
