"""Each verb once, as a typed request: what the CLI builds, the socket carries as JSON and the
answerer runs. Light on purpose (no numpy, no store), so a CLI that only talks to the daemon
imports almost nothing.

Adding a verb: a request class here (registered with @verb), a handler in `handlers`, and a
CLI function."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from photofind.errors import PhotofindError
from photofind.query.ranking import Ranking
from photofind.query.weighted import WeightedImage
from photofind.dupes import MAX_DISTANCE
from photofind.dupes.report import DupesReport
from photofind.browse_pages import FOLDERS_PAGE, PHOTOS_PAGE, LibraryPage
from photofind.results import Activity, IndexReport, PhotoInfo, QueryResult, StatusReport
from photofind.trash.report import GroupMove, JournalReport, RestoreReport, TrashReport

VERBS: dict[str, type["Request"]] = {}


def _encode(value: Any) -> Any:
    if isinstance(value, (Ranking, WeightedImage)):
        return value.to_json()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def verb(cls: type["Request"]) -> type["Request"]:
    VERBS[cls.verb] = cls
    return cls


@dataclass(frozen=True, kw_only=True)
class Request:
    verb: ClassVar[str]
    # The model that answers, by name; None (no flag, env or config named one): the library's own,
    # the model it was indexed with (photofind.library_model), else the answerer's configured one.
    model: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"verb": self.verb, **data}

    @staticmethod
    def from_json(data: dict[str, Any]) -> "Request":
        """A request from the socket, checked field by field; a bad one is a PhotofindError."""
        cls = VERBS.get(str(data.get("verb")))
        if cls is None:
            raise PhotofindError(f"unknown request {data.get('verb')!r}; the CLI and the daemon differ in version")
        try:
            args: dict[str, Any] = {}
            for f in dataclasses.fields(cls):
                if f.name not in data:
                    continue
                value = data[f.name]
                if f.type in ("Ranking", Ranking):
                    value = Ranking.from_json(value or {})
                elif f.type == "tuple[WeightedImage, ...]":
                    value = tuple(WeightedImage.from_json(e) for e in value)
                elif isinstance(value, list):
                    value = tuple(value)
                args[f.name] = value
            return cls(**args)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise PhotofindError(f"malformed {cls.verb} request: {exc}") from None

    # The type the handler returns (with from_json); None: plain JSON (ping, stop).
    result: ClassVar[Any] = None

    def decode(self, result: Any) -> Any:
        """The answer's JSON back into the type the handler returns."""
        return result if self.result is None else self.result.from_json(result)


@dataclass(frozen=True, kw_only=True)
class RankedRequest(Request):
    """A query answered with ranked photos."""

    ranking: Ranking = field(default_factory=Ranking)

    result: ClassVar[Any] = QueryResult


@verb
@dataclass(frozen=True, kw_only=True)
class LikeRequest(RankedRequest):
    """The photos most like an image file (indexed or not), or like the weighted mix of it and
    further examples."""

    verb: ClassVar[str] = "like"
    image: str  # absolute: the daemon has another working directory
    weight: float = 1.0
    examples: tuple[WeightedImage, ...] = ()  # more images; negative weights: --not


@verb
@dataclass(frozen=True, kw_only=True)
class LikeStoredRequest(RankedRequest):
    """The photos most like an indexed photo, from its stored vector: nothing is read or
    uploaded. The photo itself (every copy of it) is left out of the answer."""

    verb: ClassVar[str] = "like-stored"
    hash: str


@verb
@dataclass(frozen=True, kw_only=True)
class LikeUploadRequest(RankedRequest):
    """The photos most like an image given as bytes (a web upload): decoded in memory with the
    bomb guard, never written into the library, never indexed; bytes already indexed reuse
    their stored vector. `data` is base64, so the request crosses the socket as JSON."""

    verb: ClassVar[str] = "like-upload"
    data: str
    name: str = "upload"


@verb
@dataclass(frozen=True, kw_only=True)
class SearchRequest(RankedRequest):
    """The photos that match a description (CLIP's text tower), mixed with weighted example
    images when `examples` are given (--like, --not)."""

    verb: ClassVar[str] = "search"
    text: str
    examples: tuple[WeightedImage, ...] = ()


@verb
@dataclass(frozen=True, kw_only=True)
class DupesRequest(Request):
    verb: ClassVar[str] = "dupes"
    near: bool = True
    max_distance: int = MAX_DISTANCE
    loose: bool = False  # the pHash test alone: "visually similar", not verified tile by tile
    edits: bool = False  # also edited versions (a local change, a grey conversion), for review

    result: ClassVar[Any] = DupesReport


@verb
@dataclass(frozen=True, kw_only=True)
class TrashRequest(Request):
    """Move the files of each group but its keeper to the desktop trash (`dupes --trash`, the
    web page's button), journaled. Each file is re-hashed first; one that changed, vanished or
    cannot be read stays, with its reason. The owner of the store does it, so the catalog
    follows at once. `groups` are GroupMove.to_json() dicts."""

    verb: ClassVar[str] = "trash"
    groups: tuple[dict[str, Any], ...] = ()
    # the desktop trash of the user asking ($XDG_DATA_HOME/Trash): a server started elsewhere
    # may have another environment. "": the answerer's own.
    home_trash: str = ""

    result: ClassVar[Any] = TrashReport

    def moves(self) -> list[GroupMove]:
        try:
            return [GroupMove.from_json(g) for g in self.groups]
        except (TypeError, KeyError, ValueError) as exc:
            raise PhotofindError(f"malformed trash request: {exc}") from None


@verb
@dataclass(frozen=True, kw_only=True)
class RestoreRequest(Request):
    """Put back the files of one journaled trash operation (`operation`; "": the last one with
    files still in the trash), each at its original path, then index them again."""

    verb: ClassVar[str] = "restore"
    operation: str = ""

    result: ClassVar[Any] = RestoreReport


@verb
@dataclass(frozen=True, kw_only=True)
class JournalRequest(Request):
    """The journal's trash operations (`restore --list`), after finishing any a kill left open."""

    verb: ClassVar[str] = "journal"

    result: ClassVar[Any] = JournalReport


@verb
@dataclass(frozen=True, kw_only=True)
class StatusRequest(Request):
    verb: ClassVar[str] = "status"

    result: ClassVar[Any] = StatusReport


@verb
@dataclass(frozen=True, kw_only=True)
class IndexRequest(Request):
    """Index `paths` (added to the roots), or with none every remembered root: `reindex`.
    A long job: its answerer reports progress while it runs."""

    verb: ClassVar[str] = "index"
    paths: tuple[str, ...] = ()
    full: bool = False

    result: ClassVar[Any] = IndexReport


@verb
@dataclass(frozen=True, kw_only=True)
class PingRequest(Request):
    """Who answers: the daemon's pid, roots and pending events."""

    verb: ClassVar[str] = "ping"


@verb
@dataclass(frozen=True, kw_only=True)
class PhotoRequest(Request):
    """One catalogued content hash: its paths (the only files a front end may serve), and with
    `details` the image size and date stored with its vector."""

    verb: ClassVar[str] = "photo"
    hash: str
    details: bool = False

    result: ClassVar[Any] = PhotoInfo


@verb
@dataclass(frozen=True, kw_only=True)
class BrowseRequest(Request):
    """A page of the library without a query (photofind.browse_pages): the newest photos and the
    top folders, or with `folder` that folder's own photos and subfolders. `after` and
    `folders_after` are the cursors a previous page returned."""

    verb: ClassVar[str] = "browse"
    folder: str = ""
    after: str = ""
    folders_after: str = ""
    photos: int = PHOTOS_PAGE
    folders: int = FOLDERS_PAGE

    result: ClassVar[Any] = LibraryPage


@verb
@dataclass(frozen=True, kw_only=True)
class ActivityRequest(Request):
    """What the store's owner is doing now: indexing (files done out of total, rate, ETA) or idle."""

    verb: ClassVar[str] = "activity"

    result: ClassVar[Any] = Activity


@verb
@dataclass(frozen=True, kw_only=True)
class StopRequest(Request):
    """Ask the server to finish what it is doing and exit (`photofind serve --stop`)."""

    verb: ClassVar[str] = "stop"
