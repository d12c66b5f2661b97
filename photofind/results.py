"""Query results as plain data: what the core returns, the daemon sends and the CLI renders.

Kept free of numpy and the store so the CLI can render a daemon's answer with light imports.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Match:
    rank: int
    path: str
    score: float
    hash: str
    width: int | None
    height: int | None
    taken: str | None
    taken_from: str | None  # "exif" or "mtime"


@dataclass(frozen=True)
class QueryResult:
    query: str
    model: str
    metric: str
    higher_is_better: bool
    exact: bool  # True: scored over every stored vector; False: Chroma's HNSW index
    query_was_indexed: bool  # True: the stored vector was reused and no model was loaded
    matches: list[Match]
    query_is_text: bool = False  # `search`: query is the words, not a file

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "matches": [asdict(m) for m in self.matches]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "QueryResult":
        return cls(**{**data, "matches": [Match(**m) for m in data["matches"]]})


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    model: str
    space: str
    vectors: int


@dataclass(frozen=True)
class StatusReport:
    data_dir: str
    store_bytes: int
    roots: list[str]
    files: int
    unique_images: int
    skipped: dict[str, int]  # reason -> count
    skipped_examples: list[tuple[str, str]]
    model: str  # the configured model's id
    collections: list[CollectionInfo]
    last_index: str | None
    last_model: str | None
    runtime: str | None = None  # model.runtime: "onnx" or "torch" (None for the pixel model)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StatusReport":
        return cls(**{**data, "collections": [CollectionInfo(**c) for c in data["collections"]],
                      "skipped_examples": [tuple(e) for e in data["skipped_examples"]]})


@dataclass
class IndexReport:
    scanned: int = 0
    unchanged: int = 0
    hashed: int = 0
    embedded: int = 0  # new vectors computed
    reused: int = 0  # files whose content already had a vector (renames, copies)
    removed: int = 0
    collected: int = 0  # orphan vectors deleted
    skipped: list[tuple[str, str]] = field(default_factory=list)
    missing_roots: list[Path] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "missing_roots": [str(p) for p in self.missing_roots]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "IndexReport":
        return cls(**{**data, "missing_roots": [Path(p) for p in data["missing_roots"]],
                      "skipped": [tuple(s) for s in data["skipped"]]})
