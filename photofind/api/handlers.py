"""One handler per request. The CLI's local path and the daemon both end here, so a verb
behaves the same wherever it runs; only who owns the store differs."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from photofind.api.requests import (
    DupesRequest,
    IndexRequest,
    LikeRequest,
    Request,
    SearchRequest,
    StatusRequest,
)
from photofind.config import Settings
from photofind.embedders import Models
from photofind.embedders.base import Embedder
from photofind.errors import InputError
from photofind.results import DupesReport, IndexReport, Progress, QueryResult, StatusReport
from photofind.store.catalog import Catalog
from photofind.store.store import Store
from photofind.store.vectors import VectorStore

if TYPE_CHECKING:  # the indexer (numpy, PIL) is imported where a job needs it
    from photofind.indexer import Indexer


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
    on_progress: Callable[[Progress], None] | None = None
    cancel: threading.Event | None = None  # set: an index job stops after the batch in flight

    def vectors(self, embedder: Embedder) -> VectorStore:
        return self.store.vectors(embedder.id, self.settings.index.space)


def _like(r: LikeRequest, ctx: Context) -> QueryResult:
    from photofind.search import like

    embedder = ctx.models.get(r.model)
    return like(Path(r.image), ctx.catalog, ctx.vectors(embedder), embedder, r.ranking,
                max_pixels=ctx.settings.index.max_pixels)


def _search(r: SearchRequest, ctx: Context) -> QueryResult:
    from photofind.search import search_text

    embedder = ctx.models.get(r.model)
    return search_text(r.text, ctx.catalog, ctx.vectors(embedder), embedder, r.ranking)


def _dupes(r: DupesRequest, ctx: Context) -> DupesReport:
    from photofind.dupes import find_dupes

    embedder = ctx.models.get(r.model)
    return find_dupes(ctx.catalog, ctx.vectors(embedder), near=r.near, max_distance=r.max_distance)


def _status(r: StatusRequest, ctx: Context) -> StatusReport:
    from photofind.status import collect_status

    return collect_status(ctx.catalog, lambda: ctx.store.client, ctx.store.data_dir, ctx.models.get(r.model).id)


def _index(r: IndexRequest, ctx: Context) -> IndexReport:
    """Index the given folders, or (none given) every remembered root and the config's."""
    catalog = ctx.store.catalog  # the writer's connection, whatever thread asked
    paths = [Path(p) for p in r.paths]
    catalog.add_roots(paths)
    roots = paths or sorted(set(catalog.roots()) | set(ctx.settings.roots))
    if not roots:
        raise InputError("no folders are indexed yet; run: photofind index PATH")
    if ctx.indexer_for is not None:
        indexer = ctx.indexer_for(r.model)
    else:
        from photofind.indexer import Indexer
        from photofind.scanner import PathFilter

        embedder = ctx.models.get(r.model)
        s = ctx.settings
        indexer = Indexer(catalog, ctx.vectors(embedder), embedder,
                          path_filter=PathFilter(s.extensions, s.exclude), batch_size=s.model.batch_size,
                          workers=s.index.workers, max_pixels=s.index.max_pixels)
    return indexer.index_roots(roots, full=r.full, on_progress=ctx.on_progress, cancel=ctx.cancel)


HANDLERS: dict[type[Request], Callable[[Any, Context], Any]] = {
    LikeRequest: _like,
    SearchRequest: _search,
    DupesRequest: _dupes,
    StatusRequest: _status,
    IndexRequest: _index,
}


def run(request: Request, ctx: Context) -> Any:
    """The answer to `request`, as the handler's own type (to_json() turns it into the wire form)."""
    handler = HANDLERS.get(type(request))
    if handler is None:
        raise InputError(f"{request.verb} is answered only by the daemon")  # ping
    return handler(request, ctx)
