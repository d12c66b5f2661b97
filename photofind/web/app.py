"""The Starlette app: pages and a small JSON API over an injected answerer.

Every answer comes from `answer(request)`, a callable taking a photofind.api request: the
page never opens the store itself, so it behaves the same whether `photofind web`, a
`photofind watch` daemon, or `watch --web` owns the store. Answers are blocking calls, so
they run in the thread pool; the event loop only moves bytes."""

from __future__ import annotations

import base64
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from photofind.api.requests import Request as AnyRequest
from photofind.api.requests import (
    ActivityRequest,
    BrowseRequest,
    DupesRequest,
    JournalRequest,
    LikeStoredRequest,
    LikeUploadRequest,
    PhotoRequest,
    RestoreRequest,
    SearchRequest,
    StatusRequest,
    TrashRequest,
)
from photofind.settings import Settings
from photofind.embedders import model_spec, text_models
from photofind.errors import InputError, PhotofindError
from photofind.results import PhotoInfo, QueryResult
from photofind.web.forms import K_DEFAULT, K_MAX, Query, UploadTooLarge, read_form, status_for
from photofind.web.security import CsrfGuard, HostCheck, is_servable, servable_copy
from photofind.store.thumbnails import SIZES, ThumbCache
from photofind.web.views import Views

HERE = Path(__file__).parent
# Who answers the page's requests: a photofind.api.client.Client or LocalSession, or the
# server's own dispatch when the page is served by the process that owns the store.
Answer = Callable[[AnyRequest], Any]
HASH = re.compile(r"[0-9a-f]{64}")
HOME_PHOTOS = 12  # two rows of the newest on the home page; "more" pages through them all
LIBRARY_PAGE = 48
THUMB_MAX_AGE = 7 * 24 * 3600  # a hash's thumbnail never changes; private: it is someone's photo


def page_model(answer: Answer, settings: Settings) -> str:
    """The model the page asks with: the one a flag, env or config names, else the library's own
    (what a plain `photofind like` uses), asked once, when the page starts."""
    if settings.sources.get("model.name", "default") != "default":
        return settings.model.name
    from photofind.embedders import model_of
    from photofind.errors import PhotofindError

    try:
        report = answer(StatusRequest())  # no model named: the answerer reports the library's
    except PhotofindError:
        return settings.model.name
    return model_of(report.model) or settings.model.name


class WebApp:
    def __init__(self, answer: Answer, settings: Settings, who: str = "this process") -> None:
        self.answer = answer
        self.settings = settings
        self.model = page_model(answer, settings)
        self.max_upload = settings.web.max_upload_mb << 20
        self.thumbs = ThumbCache(settings.store.cache_dir, settings.index.max_pixels)
        text = model_spec(self.model).text
        off = None if text else (f"Search by words is off: the {self.model} model has no text tower "
                                 f"(use {', '.join(text_models())}). Drop, paste or pick a photo instead.")
        self.views = Views(HERE / "templates", model=self.model, who=who, text_off=off, k_max=K_MAX)
        self.guard = CsrfGuard()  # the token the duplicates page's forms carry back

    async def ask(self, request: Any) -> Any:
        return await run_in_threadpool(self.answer, request)

    # -- search -------------------------------------------------------------------------------
    async def _query(self, query: Query, upload: bytes | None, name: str) -> QueryResult | None:
        v = query.values
        ranking = query.ranking()
        if upload is not None:
            data = base64.b64encode(upload).decode()
            return await self.ask(LikeUploadRequest(data=data, name=name, ranking=ranking, model=self.model))
        if v["q"]:  # words typed on a "more like this" page are the new question
            return await self.ask(SearchRequest(text=v["q"], ranking=ranking, model=self.model))
        if v["like"]:
            if not HASH.fullmatch(v["like"]):
                raise InputError("like= takes a photo's content hash")
            return await self.ask(LikeStoredRequest(hash=v["like"], ranking=ranking, model=self.model))
        return None

    async def _search(self, request: Request, as_json: bool) -> Response:
        upload, name, query = None, "", Query.of(request.query_params)
        status, error, result, more, library = 200, None, None, None, None
        try:
            if request.method == "POST":
                fields, upload, name = await read_form(request, self.max_upload)
                query = Query.of(fields)
            more = query.with_k(min(query.k + K_DEFAULT, K_MAX))  # a bad k is refused here, before any work
            if request.method == "POST" and upload is None and not as_json:  # words: a shareable GET address
                return RedirectResponse("/?" + urlencode(query.with_k(query.k)), 303)
            result = await self._query(query, upload, name)
            if result is None and upload is None and not as_json:  # nothing asked: the library
                library = await self.ask(BrowseRequest(photos=HOME_PHOTOS, model=self.model))
        except UploadTooLarge:
            status, error = 413, f"That file is larger than {self.settings.web.max_upload_mb} MB (web.max_upload_mb)."
        except PhotofindError as exc:
            status, error = status_for(exc), str(exc)
        if as_json:
            body = result.to_json() if result else {"matches": []}
            return JSONResponse({"error": error} if error else body, status)
        if more is None:  # the form must not send the bad k again
            query = Query({**query.values, "k": ""})
        return self.views.page("search.html", status, query=query, result=result, error=error,
                               upload=name if upload is not None else None, more=more, library=library)

    async def search_page(self, request: Request) -> Response:
        return await self._search(request, as_json=False)

    async def search_api(self, request: Request) -> Response:
        return await self._search(request, as_json=True)

    # -- the library, without a query ---------------------------------------------------------
    async def library_page(self, request: Request) -> Response:
        """/recent (the newest photos), /folders (the roots and their top folders), /folder?path=
        (a folder's subfolders and photos), each paged by the cursors the last page gave."""
        p, where = request.query_params, request.url.path
        after, folders_after, folder = p.get("after", ""), p.get("folders_after", ""), p.get("path", "")
        if where == "/recent":
            heading, ask = "Recent photos", BrowseRequest(after=after, photos=LIBRARY_PAGE, folders=0)
        elif where == "/folders":
            heading, ask = "Folders", BrowseRequest(folders_after=after, photos=0, folders=LIBRARY_PAGE)
        else:  # a folder: its first page shows both; "more" pages of one show that one only
            heading = folder or "A folder"
            ask = BrowseRequest(folder=folder, after=after, folders_after=folders_after,
                                photos=0 if folders_after else LIBRARY_PAGE, folders=0 if after else LIBRARY_PAGE)
        try:
            if where == "/folder" and not folder:
                raise InputError("which folder? /folder?path=/a/folder/you/indexed")
            library = await self.ask(replace(ask, model=self.model))
        except PhotofindError as exc:
            return self.views.page("library.html", status_for(exc), heading=heading, library=None, error=str(exc))
        more_photos = more_folders = None
        if library.photos_next:
            more_photos = f"{where}?" + urlencode({"path": folder, "after": library.photos_next} if folder
                                                  else {"after": library.photos_next})
        if library.folders_next:
            more_folders = f"{where}?" + urlencode({"path": folder, "folders_after": library.folders_next} if folder
                                                   else {"after": library.folders_next})
        return self.views.page("library.html", 200, heading=heading, library=library, error=None,
                               more_photos=more_photos, more_folders=more_folders)

    # -- a photo ------------------------------------------------------------------------------
    async def _photo(self, request: Request, details: bool = False) -> PhotoInfo | None:
        digest = request.path_params["hash"]
        if not HASH.fullmatch(digest):
            return None
        info: PhotoInfo = await self.ask(PhotoRequest(hash=digest, details=details, model=self.model))
        return info if info.copies else None

    async def photo_page(self, request: Request) -> Response:
        info = await self._photo(request, details=True)
        if info is None:
            return self.views.page("missing.html", 404)
        served = {c.path for c in info.copies if is_servable(c.path, info.roots)}
        return self.views.page("photo.html", 200, info=info, served=served, size=info.copies[0].bytes)

    async def thumb(self, request: Request) -> Response:
        size = request.path_params["size"]
        info = await self._photo(request) if size in SIZES else None
        source = servable_copy(info) if info else None
        if info is None or source is None:
            return Response("no such photo", 404)
        etag = f'"{info.hash}-{size}"'
        headers = {"ETag": etag, "Cache-Control": f"private, max-age={THUMB_MAX_AGE}"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        try:
            path = await run_in_threadpool(self.thumbs.get, info.hash, size, source)
        except PhotofindError:
            return Response("this photo can no longer be decoded", 404)
        return FileResponse(path, media_type="image/jpeg", headers=headers)

    async def original(self, request: Request) -> Response:
        info = await self._photo(request)
        source = servable_copy(info) if info else None
        if source is None:
            return Response("no such photo", 404)
        name = os.path.basename(source)
        return FileResponse(source, headers={"Cache-Control": "private, no-cache"},
                            content_disposition_type="inline", filename=name)

    # -- duplicates and status ----------------------------------------------------------------
    async def dupes_page(self, request: Request) -> Response:
        near = request.query_params.get("exact_only") != "1"
        return await self._dupes(near, edits=near and request.query_params.get("edits") == "1",
                                 local=self.guard.from_this_computer(request))

    async def _dupes(self, near: bool, status: int = 200, done: Any = None, error: str | None = None,
                     edits: bool = False, local: bool = True) -> Response:
        """The groups, with checkboxes on those that may be trashed, and "Restore" for the last
        operation that still has files in the trash; `done`: what a POST just did. `local`: seen
        from this computer; from elsewhere the page is for looking only (CsrfGuard)."""
        try:
            report = await self.ask(DupesRequest(near=near, edits=edits, model=self.model))
            journal = await self.ask(JournalRequest(model=self.model))
        except PhotofindError as exc:
            return self.views.page("dupes.html", status_for(exc), report=None, error=str(exc), near=near,
                                   done=done, last=None, csrf=self.guard.token, edits=edits, local=local)
        return self.views.page("dupes.html", status, report=report, error=error, near=near, done=done,
                               last=journal.last_restorable(), csrf=self.guard.token, edits=edits, local=local)

    async def trash(self, request: Request) -> Response:
        """Move the checked files to the trash. The groups are found again here, so only members
        of a trashable group move, and never every copy of one: a group whose every member was
        checked keeps its suggested keeper."""
        from photofind.trash.freedesktop import home_trash
        from photofind.trash.report import group_move

        form = await request.form()
        refusal = self.guard.refuse(request, form)
        if refusal is not None:
            return refusal
        near = form.get("exact_only") != "1"
        chosen = {str(v) for v in form.getlist("move")}
        try:
            report = await self.ask(DupesRequest(near=near, model=self.model))  # edited groups never move
        except PhotofindError as exc:
            return await self._dupes(near, status_for(exc), error=str(exc))
        moves, skipped, seen = [], [], set()
        for g in report.groups:
            picked = chosen & {m.path for m in g.members}
            seen |= picked
            if not picked or not g.trashable:
                skipped += [(p, "its group is for review only (edited or merely similar)") for p in sorted(picked)]
                continue
            stay = [m.path for m in g.members if m.path not in picked]
            if not stay:
                skipped.append((g.keeper, "every copy of its group was selected: the suggested keeper stays"))
                picked.discard(g.keeper)
                stay = [g.keeper]
            keeper = g.keeper if g.keeper in stay else stay[0]
            moves.append(group_move(g, keeper, picked).to_json())
        skipped += [(p, "no longer in a duplicate group") for p in sorted(chosen - seen)]
        try:
            # the trash of the user this page runs as, as the CLI sends its own
            home = str(home_trash())
            result = await self.ask(TrashRequest(groups=tuple(moves), home_trash=home, model=self.model)) if moves else None
        except PhotofindError as exc:
            return await self._dupes(near, status_for(exc), error=str(exc))
        done = {"what": "trash", "count": len(result.moved) if result else 0, "bytes": result.bytes if result else 0,
                "operation": result.operation if result else "", "skipped": (result.skipped if result else []) + skipped}
        return await self._dupes(near, done=done)

    async def restore(self, request: Request) -> Response:
        form = await request.form()
        refusal = self.guard.refuse(request, form)
        if refusal is not None:
            return refusal
        near = form.get("exact_only") != "1"
        try:
            result = await self.ask(RestoreRequest(operation=str(form.get("operation") or ""), model=self.model))
        except PhotofindError as exc:
            return await self._dupes(near, status_for(exc), error=str(exc))
        done = {"what": "restore", "count": len(result.restored), "bytes": 0, "operation": result.operation,
                "skipped": result.skipped}
        return await self._dupes(near, done=done)

    async def status_page(self, request: Request) -> Response:
        try:
            report = await self.ask(StatusRequest(model=self.model))
            activity = await self.ask(ActivityRequest(model=self.model))
        except PhotofindError as exc:
            return self.views.page("status.html", status_for(exc), report=None, activity=None, error=str(exc))
        return self.views.page("status.html", 200, report=report, activity=activity, error=None)

    async def activity_api(self, request: Request) -> Response:
        activity = await self.ask(ActivityRequest(model=self.model))
        return JSONResponse(activity.to_json(), headers={"Cache-Control": "no-store"})


def create_app(answer: Answer, settings: Settings, *, host: str = "127.0.0.1", who: str = "this process") -> Any:
    """The ASGI app for `answer`, refusing any Host but loopback names and `host` (the bound one)."""
    web = WebApp(answer, settings, who)
    routes = [
        Route("/", web.search_page, methods=["GET", "POST"]),
        Route("/api/search", web.search_api, methods=["GET", "POST"]),
        Route("/api/activity", web.activity_api),
        Route("/photo/{hash}", web.photo_page),
        Route("/thumb/{hash}/{size:int}", web.thumb),
        Route("/original/{hash}", web.original),
        Route("/recent", web.library_page),
        Route("/folders", web.library_page),
        Route("/folder", web.library_page),
        Route("/favicon.ico", favicon),
        Route("/dupes", web.dupes_page),
        Route("/dupes/trash", web.trash, methods=["POST"]),
        Route("/dupes/restore", web.restore, methods=["POST"]),
        Route("/status", web.status_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return HostCheck(Starlette(routes=routes, exception_handlers={PhotofindError: _refusal}), host)


async def favicon(request: Request) -> Response:
    """Browsers ask for /favicon.ico whatever the page links: the same SVG the pages name."""
    return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})


async def _refusal(request: Request, exc: Exception) -> Response:
    """A PhotofindError no page caught (the daemon went away under a thumbnail): its message, not a 500."""
    assert isinstance(exc, PhotofindError)
    return Response(str(exc), status_for(exc), media_type="text/plain")
