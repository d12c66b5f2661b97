"""One handler per request. The CLI's local path and the daemon both end here, so a verb
behaves the same wherever it runs; only who owns the store differs."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from photofind.api.requests import (
    ActivityRequest,
    BrowseRequest,
    DupesRequest,
    IndexRequest,
    JournalRequest,
    LikeRequest,
    LikeStoredRequest,
    LikeUploadRequest,
    PhotoRequest,
    Request,
    RestoreRequest,
    SearchRequest,
    StatusRequest,
    TrashRequest,
)
from photofind.settings import Settings
from photofind.embedders import Models
from photofind.embedders.base import Embedder
from photofind.errors import InputError
from photofind.dupes.report import DupesReport
from photofind.results import Activity, DownloadProgress, IndexReport, PhotoInfo, Progress, QueryResult, StatusReport
from photofind.store.catalog import Catalog
from photofind.store.store import Store
from photofind.store.vectors import VectorStore
from photofind.trash.report import JournalReport, RestoreReport, TrashReport

if TYPE_CHECKING:  # the indexer (numpy, PIL) is imported where a job needs it
    from photofind.indexer import Indexer
    from photofind.browse_pages import LibraryPage
    from photofind.query.library import Library


@dataclass(frozen=True)
class Context:
    """What a handler may use, all passed in: the owned store, a catalog connection for the
    calling thread, settings, the models, and (in the daemon) its indexer and write lock."""

    store: Store
    catalog: Catalog
    settings: Settings
    models: Models
    # the daemon's indexers (one per model), which share its write lock and stop event
    indexer_for: "Callable[[str | None], Indexer] | None" = None
    # an index job's files, and any model weights downloaded for the request
    on_progress: Callable[[Progress | DownloadProgress], None] | None = None
    activity: Callable[[], Activity] | None = None  # the daemon's indexing progress, read live
    cancel: threading.Event | None = None  # set: an index job stops after the batch in flight
    # the daemon's lock: set, a handler that runs outside it (dupes) takes it only to write
    write_lock: "threading.RLock | None" = None

    def vectors(self, embedder: Embedder) -> VectorStore:
        return self.store.vectors(embedder.id, self.settings.index.space)

    def model_name(self, requested: str | None) -> str:
        """The model a request names; None (no flag, env or config named one): the library's
        own, and this answerer's configured model only for a library with no vectors yet."""
        if requested:
            return requested
        from photofind.library_model import library_model

        return library_model(self.catalog) or self.models.settings.name

    def embedder(self, requested: str | None) -> Embedder:
        return self.models.get(self.model_name(requested))

    def library(self, model: str | None) -> "Library":
        """The photos as `model` sees them (None: the library's own model), through this thread's catalog."""
        from photofind.query.library import Library

        embedder = self.embedder(model)
        return Library(self.catalog, self.vectors(embedder), embedder, self.settings.index.max_pixels)


def _like(r: LikeRequest, ctx: Context) -> QueryResult:
    from photofind.query.weighted import WeightedImage

    return ctx.library(r.model).like([WeightedImage(r.image, r.weight), *r.examples], r.ranking)


def _like_stored(r: LikeStoredRequest, ctx: Context) -> QueryResult:
    return ctx.library(r.model).like_stored(r.hash, r.ranking)


def _like_upload(r: LikeUploadRequest, ctx: Context) -> QueryResult:
    import base64
    import binascii

    try:
        data = base64.b64decode(r.data, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("the uploaded image is not valid base64") from None
    return ctx.library(r.model).like_upload(data, r.name, r.ranking)


def _photo(r: PhotoRequest, ctx: Context) -> PhotoInfo:
    """The catalog's rows for one hash; no file is opened here (the front end checks each copy
    against the roots before serving it)."""
    from photofind.results import Copy

    paths = [p for p, _ in ctx.catalog.paths_for([r.hash]).get(r.hash, [])]
    rows = ctx.catalog.rows_for(paths)
    copies = [Copy(p, rows[p].size, rows[p].mtime_ns) for p in paths if p in rows]
    roots = sorted({str(p) for p in ctx.catalog.roots()} | {str(p) for p in ctx.settings.roots})
    info = PhotoInfo(r.hash, copies, roots)
    if not (r.details and copies):
        return info
    from dataclasses import replace

    from photofind.query.matches import taken_date

    stored = ctx.vectors(ctx.embedder(r.model)).get([r.hash])
    meta = stored[r.hash][1] if r.hash in stored else {}
    taken, source = taken_date(meta, copies[0].mtime_ns)
    return replace(info, width=meta.get("width"), height=meta.get("height"), taken=taken, taken_from=source)


def _browse(r: BrowseRequest, ctx: Context) -> "LibraryPage":
    """A page of the library: catalog rows only, no vector and no file is read."""
    from photofind.browse_pages import browse

    roots = {str(p) for p in ctx.catalog.roots()} | {str(p) for p in ctx.settings.roots}
    return browse(ctx.catalog, roots, r.folder, r.after, r.folders_after, r.photos, r.folders)


def _activity(r: ActivityRequest, ctx: Context) -> Activity:
    return ctx.activity() if ctx.activity is not None else Activity()


def _search(r: SearchRequest, ctx: Context) -> QueryResult:
    from photofind.embedders.weights import OFFLINE_MODEL
    from photofind.errors import ModelUnavailableError

    try:
        return ctx.library(r.model).search_text(r.text, r.ranking, r.examples)
    except ModelUnavailableError as exc:  # the offline model has no text tower: not a way out here
        raise ModelUnavailableError(str(exc).replace(OFFLINE_MODEL, "")) from None


def _dupes(r: DupesRequest, ctx: Context) -> DupesReport:
    from photofind.dupes import find_dupes

    _reconcile(ctx, r.model)  # a --trash or restore killed midway: the catalog first
    if ctx.write_lock is None:
        embedder = ctx.embedder(r.model)
        return find_dupes(ctx.catalog, ctx.vectors(embedder), near=r.near, max_distance=r.max_distance,
                          loose=r.loose, edits=r.edits)
    # In the server: a connection of its own, and the server's lock only while writing refilled
    # fingerprints, so that other queries are answered while this one works for minutes.
    from photofind.store.catalog import Catalog

    with ctx.write_lock:
        embedder = ctx.embedder(r.model)
        catalog = Catalog(ctx.catalog.path)
    try:
        return find_dupes(catalog, ctx.vectors(embedder), near=r.near, max_distance=r.max_distance,
                          loose=r.loose, edits=r.edits, write_lock=ctx.write_lock)
    finally:
        catalog.close()


def _status(r: StatusRequest, ctx: Context) -> StatusReport:
    from photofind.status_report import collect_status

    embedder = ctx.embedder(r.model)
    report = collect_status(ctx.catalog, lambda: ctx.store.client, ctx.store.data_dir, embedder.id,
                            getattr(embedder, "runtime", None))
    if r.model:
        return report
    from photofind.library_model import library_model

    return replace(report, model_from="library" if library_model(ctx.catalog) else "default")


def _index(r: IndexRequest, ctx: Context) -> IndexReport:
    """Index the given folders, or (none given) every remembered root and the config's."""
    catalog = ctx.store.catalog  # the writer's connection, whatever thread asked
    paths = [Path(p) for p in r.paths]
    if set(paths) - set(catalog.roots()):
        # A folder is remembered only once its model is known to load: a first run that fails
        # offline must not leave a root behind for the next reindex or watch to pick up.
        ctx.embedder(r.model).ensure_loaded()
    catalog.add_roots(paths)
    roots = paths or sorted(set(catalog.roots()) | set(ctx.settings.roots))
    if not roots:
        raise InputError("no folders are indexed yet; run: photofind index PATH")
    indexer = _indexer(ctx, r.model)
    return indexer.index_roots(roots, full=r.full, on_progress=ctx.on_progress, cancel=ctx.cancel)


def _indexer(ctx: Context, model: str | None) -> "Indexer":
    """The daemon's indexer (its write lock), or one for this process over the writer's catalog."""
    model = ctx.model_name(model)  # None: the library's own
    if ctx.indexer_for is not None:
        return ctx.indexer_for(model)
    from photofind.indexer import make_indexer

    embedder = ctx.models.get(model)
    return make_indexer(ctx.store.catalog, ctx.vectors(embedder), embedder, ctx.settings)


def _release(ctx: Context, model: str | None, hashes: set[str]) -> None:
    """Rows are gone: the vectors, fingerprints and thumbnails of content no file holds go too."""
    from photofind.planning import Plan

    _indexer(ctx, model).apply(Plan(released=set(hashes)))


def _reindex(ctx: Context, model: str | None, paths: list[str]) -> int:
    """Index these files again (restored ones): re-hashed, their vectors reused or embedded."""
    import os

    from photofind.planning import Plan
    from photofind.scanner import FileStat

    stats = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        stats.append(FileStat(p, st.st_size, st.st_mtime_ns))
    if not stats:
        return 0
    report = _indexer(ctx, model).apply(Plan(to_hash=stats))
    return report.hashed


def reconcile_journal(ctx: Context) -> None:
    """At a server's start: finish a `--trash` or `restore` that a kill cut short."""
    _reconcile(ctx, None)


def _reconcile(ctx: Context, model: str | None) -> None:
    """Finish whatever a kill -9 left open in the journal, and bring the catalog in line."""
    from photofind.trash.actions import reconcile
    from photofind.trash.journal import Journal

    from contextlib import nullcontext

    journal = Journal(ctx.store.data_dir)
    if not journal.folder.is_dir():
        return
    with ctx.write_lock or nullcontext():  # a handler run outside the server's lock writes under it
        reconcile(ctx.store.catalog, journal, release=lambda hashes: _release(ctx, model, hashes),
                  reindex=lambda paths: _reindex(ctx, model, paths))


def _trash(r: TrashRequest, ctx: Context) -> TrashReport:
    from photofind.trash import freedesktop
    from photofind.trash.actions import trash
    from photofind.trash.journal import Journal

    moves = r.moves()
    _reconcile(ctx, r.model)
    home = Path(r.home_trash) if r.home_trash else freedesktop.home_trash()
    if not home.is_absolute():
        raise InputError(f"the home trash must be an absolute path, not {home}")
    # In the server this runs outside its lock and takes it one group at a time (trash's step_lock).
    return trash(moves, ctx.store.catalog, Journal(ctx.store.data_dir), home,
                 release=lambda hashes: _release(ctx, r.model, hashes), step_lock=ctx.write_lock)


def _restore(r: RestoreRequest, ctx: Context) -> RestoreReport:
    from photofind.trash.actions import restore
    from photofind.trash.journal import Journal

    _reconcile(ctx, r.model)
    _indexer(ctx, r.model)  # a model that cannot load fails here, before any file moves
    journal = Journal(ctx.store.data_dir)
    if r.operation:
        op = journal.get(r.operation)
        if op is None:
            raise InputError(f"no trash operation {r.operation!r} in the journal; see: photofind restore --list")
    else:
        op = next((o for o in reversed(journal.operations()) if o.entries), None)
        if op is None or not op.in_trash():
            raise InputError("nothing to restore: the last trash operation has no files in the trash"
                             " (photofind restore ID restores an older one; see --list)")
    return restore(op, ctx.store.catalog, journal, reindex=lambda paths: _reindex(ctx, r.model, paths))


def _journal(r: JournalRequest, ctx: Context) -> JournalReport:
    from photofind.trash.journal import Journal

    _reconcile(ctx, r.model)
    return JournalReport([op.to_json() for op in Journal(ctx.store.data_dir).operations()])


HANDLERS: dict[type[Request], Callable[[Any, Context], Any]] = {
    LikeRequest: _like,
    SearchRequest: _search,
    DupesRequest: _dupes,
    StatusRequest: _status,
    IndexRequest: _index,
    LikeStoredRequest: _like_stored,
    LikeUploadRequest: _like_upload,
    PhotoRequest: _photo,
    ActivityRequest: _activity,
    TrashRequest: _trash,
    RestoreRequest: _restore,
    JournalRequest: _journal,
    BrowseRequest: _browse,
}


def run(request: Request, ctx: Context) -> Any:
    """The answer to `request`, as the handler's own type (to_json() turns it into the wire form)."""
    from photofind.embedders.weights import report_downloads

    handler = HANDLERS.get(type(request))
    if handler is None:
        raise InputError(f"{request.verb} is answered only by the daemon")  # ping
    with report_downloads(ctx.on_progress):  # wherever the model loads first for this request
        return handler(request, ctx)
