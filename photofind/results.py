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
class AnsweredPart:
    """One term of the query vector (photofind.query.combined) as the answer echoes it: an image
    file, an upload or words, its weight, and whether its stored vector was reused. A negative
    weight steers away from it (`--not`). Not an input: an image is asked for as a
    photofind.query.weighted.WeightedImage, the one weighted-image type."""

    kind: str  # "image" (a file), "upload" (a web upload's bytes) or "text"
    value: str  # the image's absolute path, the upload's name, or the words
    weight: float = 1.0
    was_indexed: bool = False  # an image whose stored vector was reused (no model ran for it)

    def role(self) -> str:
        """`query`, `query ×2`, `not`: a query image's caption in a grid or gallery."""
        w = abs(self.weight)
        return ("not" if self.weight < 0 else "query") + ("" if w == 1 else f" ×{w:g}")

    def label(self) -> str:
        """`a.jpg`, `2×b.jpg`, `"dogs"`: how a title names it, sign left to the caller."""
        name = f'"{self.value}"' if self.kind == "text" else Path(self.value).name
        w = abs(self.weight)
        return name if w == 1 else f"{w:g}×{name}"


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
    # What the query vector was made of, with weights; one part for a plain query.
    parts: list[AnsweredPart] = field(default_factory=list)
    roots: list[str] = field(default_factory=list)  # the indexed folders: tables show paths within them
    # no matches: why, e.g. "0 of 1,240 photos taken since 2027-01-01"; None when there are some
    empty_reason: str | None = None

    @property
    def combined(self) -> bool:
        return len(self.parts) > 1

    def description(self) -> str:
        """`a.jpg + 2×b.jpg − c.jpg`: the parts as asked, for titles."""
        text = ""
        for i, part in enumerate(self.parts):
            sign = "−" if part.weight < 0 else "+"
            text += (f"{sign} " if i else ("− " if part.weight < 0 else "")) + part.label() + " "
        return text.strip()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "QueryResult":
        return cls(**{**data, "matches": [Match(**m) for m in data["matches"]],
                      "parts": [AnsweredPart(**p) for p in data.get("parts", [])]})


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    model: str
    space: str
    vectors: int
    hnsw: dict[str, int] = field(default_factory=dict)  # max_neighbors, ef_construction, ef_search
    predates: bool = False  # built with other HNSW settings than photofind's: reindex --full rebuilds it


@dataclass(frozen=True)
class StatusReport:
    data_dir: str
    store_bytes: int
    roots: list[str]
    files: int
    unique_images: int
    skipped: dict[str, int]  # reason -> count
    skipped_examples: list[tuple[str, str]]
    model: str  # the id of the model that answers queries naming none
    collections: list[CollectionInfo]
    last_index: str | None
    last_model: str | None
    runtime: str | None = None  # model.runtime: "onnx" or "torch" (None for the pixel model)
    # files in the data dir that other users can read (relative paths); [] = private
    readable_by_others: list[str] = field(default_factory=list)
    # why `model`: "request" (a flag, env or config named it), "library" (the one it was indexed
    # with; the configured default for a library with no vectors)
    model_from: str = "request"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StatusReport":
        return cls(**{**data, "collections": [CollectionInfo(**c) for c in data["collections"]],
                      "skipped_examples": [tuple(e) for e in data["skipped_examples"]]})


@dataclass(frozen=True)
class Progress:
    """How far an index job is: files handled out of those it found to hash."""

    done: int
    total: int
    skipped: int


@dataclass(frozen=True)
class DownloadProgress:
    """How far a model's weights download is: bytes so far out of `total` (None: not known)."""

    name: str  # what is downloaded, e.g. "CLIP weights ViT-B-32/laion2b_s34b_b79k"
    done: int
    total: int | None


def progress_to_json(p: Progress | DownloadProgress) -> dict[str, Any]:
    """A progress line for the socket; `progress_from_json` tells the two kinds apart."""
    return {**asdict(p), "kind": "download"} if isinstance(p, DownloadProgress) else asdict(p)


def progress_from_json(data: dict[str, Any]) -> Progress | DownloadProgress:
    if data.get("kind") == "download":
        return DownloadProgress(data["name"], data["done"], data.get("total"))
    return Progress(data["done"], data["total"], data["skipped"])


@dataclass
class IndexReport:
    model: str = ""  # the embedder id that indexed
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


@dataclass(frozen=True)
class Copy:
    """One catalogued file holding a content hash, as the catalog last saw it."""

    path: str
    bytes: int
    mtime_ns: int


@dataclass(frozen=True)
class PhotoInfo:
    hash: str
    copies: list[Copy]  # by path; empty: the hash is not catalogued (any more)
    roots: list[str]  # a front end serves a copy only if its real path is inside one of these
    width: int | None = None
    height: int | None = None
    taken: str | None = None  # EXIF date, else the first copy's file time at index time
    taken_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "PhotoInfo":
        return cls(**{**data, "copies": [Copy(**c) for c in data["copies"]]})


@dataclass(frozen=True)
class Activity:
    """What the store's owner is doing: an index run's files done out of total, or idle."""

    indexing: bool = False
    done: int = 0
    total: int = 0
    skipped: int = 0
    rate: float = 0.0  # files per second in this run
    eta_seconds: float | None = None
    pending: int = 0  # changed files waiting to settle (the daemon)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Activity":
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
