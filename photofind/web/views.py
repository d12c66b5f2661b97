"""Pages from Jinja2 templates (autoescaped: paths and EXIF strings are data, not markup)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse


def _folder(path: str) -> str:
    return os.path.basename(os.path.dirname(path)) or "/"


def _when(taken: str | None) -> str:
    return (taken or "").replace("T", " ")[:16]


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB" if n >= 100_000 else f"{n / 1e3:.0f} KB"


def _seconds(s: float | None) -> str:
    if s is None:
        return "unknown"
    s = int(round(s))
    return f"{s // 60} min {s % 60} s" if s >= 60 else f"{s} s"


class Views:
    def __init__(self, folder: Path, **shared: Any) -> None:
        self.env = Environment(loader=FileSystemLoader(folder), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(folder=_folder, when=_when, mb=_mb, seconds=_seconds, basename=os.path.basename)
        self.shared = shared

    def page(self, name: str, status: int, **context: Any) -> HTMLResponse:
        query = context.get("query")
        context.setdefault("v", query.values if query is not None else {})  # the search form's echo
        html = self.env.get_template(name).render(**self.shared, **context)
        return HTMLResponse(html, status, headers={"Cache-Control": "no-store"})
