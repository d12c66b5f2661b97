"""Reading what the page sends: query parameters into a Ranking, and an upload held in memory
with a hard size limit (413 above it). No upload is ever spooled to disk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterator, Mapping

from photofind.errors import (
    DaemonError,
    ImageTooLargeError,
    InputError,
    NoIndexError,
    NotAnImageError,
    PhotofindError,
    StoreBusyError,
)
from photofind.query.filters import Filters
from photofind.query.ranking import Ranking

K_DEFAULT = 24  # one screen of thumbnails; "more" adds as many again
K_MAX = 1000
FIELD_SLACK = 64 << 10  # room for the form's other fields and the multipart framing
FIELDS = ("q", "like", "k", "metric", "since", "until", "in", "min_score")


class UploadTooLarge(Exception):
    pass


@dataclass(frozen=True)
class Query:
    """The search form as sent, echoed back into the page."""

    values: dict[str, str]

    @classmethod
    def of(cls, params: Mapping[str, Any]) -> "Query":
        return cls({f: str(params.get(f) or "").strip() for f in FIELDS})

    @property
    def k(self) -> int:
        """How many photos to show: a whole number from 1 to K_MAX (no silent clamping: `k=-1`
        showing "1 photos" hid the typo)."""
        text = self.values["k"]
        try:
            k = int(text) if text else K_DEFAULT
        except ValueError:
            k = 0
        if not 1 <= k <= K_MAX:
            raise InputError(f"k (how many photos to show) must be a whole number from 1 to {K_MAX}, not {text!r}")
        return k

    def ranking(self) -> Ranking:
        v = self.values
        try:
            min_score = float(v["min_score"]) if v["min_score"] else None
        except ValueError:
            raise InputError(f"minimum score must be a number, not {v['min_score']!r}") from None
        filters = Filters.build(v["since"] or None, v["until"] or None, v["in"] or None, min_score)
        return Ranking(self.k, v["metric"] or "cosine", False, filters)

    def with_k(self, k: int) -> dict[str, str]:
        return {name: value for name, value in {**self.values, "k": str(k)}.items() if value}


def status_for(exc: PhotofindError) -> int:
    """A user's mistake is a 4xx with its one-line message, never a 500."""
    if isinstance(exc, ImageTooLargeError):
        return 413
    if isinstance(exc, NotAnImageError):
        return 415
    if isinstance(exc, NoIndexError):
        return 409
    if isinstance(exc, (StoreBusyError, DaemonError)):
        return 503
    return 400


async def _limited(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise UploadTooLarge
        yield chunk


async def read_form(request: Any, max_bytes: int) -> tuple[dict[str, str], bytes | None, str]:
    """(text fields, the image's bytes or None, its file name). Raises UploadTooLarge."""
    from starlette.formparsers import MultiPartException, MultiPartParser

    limit = max_bytes + FIELD_SLACK
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise UploadTooLarge  # refused before a byte of it is read
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        return {k: str(v) for k, v in form.items()}, None, ""

    class InMemory(MultiPartParser):
        spool_max_size = limit  # the upload stays in memory: it never touches the disk

    try:
        form = await InMemory(request.headers, _limited(request.stream(), limit), max_files=1, max_fields=20).parse()
    except MultiPartException as exc:
        raise InputError(f"the upload could not be read: {exc.message}") from None
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    upload = form.get("image")
    if upload is None or isinstance(upload, str):
        return fields, None, ""
    data = await upload.read()
    await upload.close()
    if len(data) > max_bytes:
        raise UploadTooLarge
    return fields, (data or None), upload.filename or "upload"
