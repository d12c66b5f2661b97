"""A self-contained HTML page of results: thumbnails inlined as data URIs, each linking to
its original, with rank, score, size and date. One file to keep, mail or open anywhere."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from urllib.parse import quote

from photofind.errors import InputError, NotAnImageError
from photofind.media.images import open_image
from photofind.results import QueryResult

THUMB = 256

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 1.5em; background: #fafafa; color: #222; }}
h1 {{ font-size: 1.2em; }} p.caption {{ color: #666; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax({thumb}px, 1fr)); gap: 14px; }}
figure {{ margin: 0; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px; }}
figure.query {{ border-color: #d33; }}
figure img {{ width: 100%; height: {thumb}px; object-fit: contain; background: #fff; }}
figcaption {{ font-size: 12px; overflow-wrap: anywhere; }}
.missing {{ height: {thumb}px; display: flex; align-items: center; justify-content: center; color: #999; }}
</style></head>
<body><h1>{title}</h1><p class="caption">{caption}</p>
<div class="grid">
{figures}
</div></body></html>
"""


def thumbnail_data_uri(path: str) -> str | None:
    try:
        image, _ = open_image(path, min_side=THUMB)
    except NotAnImageError:
        return None  # moved or deleted since it was indexed
    image.thumbnail((THUMB, THUMB))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=82)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _figure(path: str, caption: str, css: str = "") -> str:
    uri = thumbnail_data_uri(path)
    link = "file://" + quote(path)
    body = f'<img src="{uri}" alt="{html.escape(Path(path).name)}">' if uri else '<div class="missing">missing</div>'
    return (f'<figure class="{css}"><a href="{link}">{body}</a>'
            f"<figcaption>{caption}</figcaption></figure>")


def write_gallery(result: QueryResult, out: Path) -> Path:
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{out}: the gallery is HTML; give a .html file name")
    arrow = "higher is closer" if result.higher_is_better else "lower is closer"
    if result.combined:
        title = f"{'Photos of' if result.query_is_text else 'Most like'} {result.description()}"
    else:
        title = f'Photos of "{result.query}"' if result.query_is_text else f"Most like {Path(result.query).name}"
    figures = []
    images = [(p.value, p.role()) for p in result.parts if p.kind == "image"]
    for path, role in images or ([] if result.query_is_text else [(result.query, "query")]):
        figures.append(_figure(path, f"<b>{role}</b><br>{html.escape(path)}", "query"))
    for m in result.matches:
        size = f"{m.width}×{m.height}" if m.width and m.height else ""
        taken = (m.taken or "").replace("T", " ")
        figures.append(_figure(
            m.path,
            f"<b>#{m.rank}</b> {result.metric} {m.score:.4f}<br>{html.escape(m.path)}<br>{size} {html.escape(taken)}",
        ))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(PAGE.format(
        title=html.escape(title), thumb=THUMB, figures="\n".join(figures),
        caption=html.escape(f"model {result.model}, {result.metric} ({arrow}); {len(result.matches)} results"),
    ), encoding="utf-8")
    return out
