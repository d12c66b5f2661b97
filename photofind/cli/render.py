"""Turning core results into Rich tables and JSON. No core logic here."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from rich.table import Table
from rich.text import Text

from photofind.results import QueryResult


def file_link(path: str) -> Text:
    return Text(path, style=f"link file://{quote(path)}")


def like_table(result: QueryResult) -> Table:
    arrow = "higher is closer" if result.higher_is_better else "lower is closer"
    title = f'Photos of "{result.query}"' if result.query_is_text else f"Most like {result.query}"
    how = "exact scan" if result.exact else "Chroma index"
    caption = f"model {result.model}, {result.metric} ({arrow}, {how})" + (
        "; query vector reused from the index" if result.query_was_indexed else ""
    )
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    table.add_column("#", justify="right")
    table.add_column(result.metric, justify="right")
    table.add_column("path", overflow="fold")
    table.add_column("size", justify="right")
    table.add_column("taken")
    for m in result.matches:
        size = f"{m.width}×{m.height}" if m.width and m.height else ""
        taken = (m.taken or "").replace("T", " ") + (" (file time)" if m.taken_from == "mtime" else "")
        table.add_row(str(m.rank), f"{m.score:.4f}", file_link(m.path), size, taken)
    return table


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
