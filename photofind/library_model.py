"""Which model a library was indexed with, from its catalog (no Chroma, no model loaded).

A query that names no model (no flag, environment variable or config key) uses it, so that a
library indexed with `--model effnet-lite0` answers a plain `photofind like` with effnet-lite0
instead of asking for CLIP's weights."""

from __future__ import annotations

from photofind.embedders import model_of
from photofind.store.catalog import Catalog


def library_model(catalog: Catalog) -> str | None:
    """The model name of the library's vectors: the most recently indexed one when its collection
    still holds vectors, else the one with the most vectors; None for a library with none."""
    held = {}
    for info in catalog.collection_infos():
        name = model_of(str(info.get("model", "")))
        if name is not None and int(info.get("vectors") or 0) > 0:
            held[name] = held.get(name, 0) + int(info["vectors"])
    last = model_of(catalog.get_meta("last_model") or "")
    if last is not None and (last in held or not held):
        return last
    return max(held, key=held.__getitem__) if held else None
