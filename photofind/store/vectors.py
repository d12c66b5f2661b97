"""Vectors in Chroma: one collection per (embedder, metric space), ids are content hashes.

The collection name carries the embedder id and the space, so switching models or spaces
never mixes vectors; its metadata records model, dimension and space for `status`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

import numpy as np

from photofind.errors import StoreMismatchError
from photofind.store.hnsw import HNSW, creation_metadata, predates

if TYPE_CHECKING:
    from photofind.store.mirror import VectorMirror

COLLECTION_PREFIX = "pf"


def collection_name(embedder_id: str, space: str) -> str:
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", embedder_id.lower()).strip("-")[:40]
    digest = hashlib.sha256(embedder_id.encode()).hexdigest()[:8]
    return f"{COLLECTION_PREFIX}_{slug}_{digest}_{space}"


def open_client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


def open_http_client(url: str) -> Any:
    """A Chroma server (`chroma run`) instead of a local PersistentClient: several processes
    and machines may talk to it at once."""
    from urllib.parse import urlparse

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from photofind.errors import StoreUnavailableError

    parts = urlparse(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreUnavailableError(f"store.url {url!r} is not an http(s)://host:port address")
    try:
        client = chromadb.HttpClient(
            host=parts.hostname, port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https", settings=ChromaSettings(anonymized_telemetry=False),
        )
        client.heartbeat()
    except Exception as exc:  # connection refused, DNS, TLS: all mean "not reachable"
        raise StoreUnavailableError(
            f"cannot reach the Chroma server at {url} ({type(exc).__name__}); "
            "start one with: chroma run --path DIR --host 127.0.0.1 --port PORT"
        ) from None
    return client


@dataclass(frozen=True)
class Hit:
    id: str
    distance: float
    metadata: dict[str, Any]


class VectorStore:
    """A Chroma collection seen as a set of (hash -> unit vector, image metadata)."""

    def __init__(
        self, client: Any | Callable[[], Any], embedder_id: str, space: str = "cosine", mirror: "VectorMirror | None" = None
    ) -> None:
        # A callable is called on first use: a rescan that finds nothing changed never opens Chroma.
        self._client = client
        self.mirror = mirror  # a fast copy for full scans (photofind.store.mirror)
        self.embedder_id = embedder_id
        self.space = space
        self.name = collection_name(embedder_id, space)
        self._collection: Any = None
        self._max_batch: int | None = None

    @property
    def max_batch(self) -> int:
        if self._max_batch is None:
            self._max_batch = int(self.client.get_max_batch_size())
        return self._max_batch

    @property
    def client(self) -> Any:
        if callable(self._client) and not hasattr(self._client, "list_collections"):
            self._client = self._client()
        return self._client

    def collection(self, dim: int | None = None) -> Any:
        """The collection, created on first write (when `dim` is known)."""
        if self._collection is None:
            if dim is None:
                from chromadb.errors import NotFoundError

                try:
                    self._collection = self.client.get_collection(self.name, embedding_function=None)
                except NotFoundError:
                    return None
            else:
                self._collection = self.client.get_or_create_collection(
                    self.name,
                    embedding_function=None,
                    metadata={"hnsw:space": self.space, "photofind_model": self.embedder_id, "photofind_dim": dim,
                              **creation_metadata()},
                )
            self._raise_ef_search()
            recorded = (self._collection.metadata or {}).get("photofind_dim")
            if dim is not None and recorded not in (None, dim):
                raise StoreMismatchError(
                    f"collection {self.name} holds {recorded}-d vectors but {self.embedder_id} makes {dim}-d ones;"
                    " run photofind reindex --full"
                )
        return self._collection

    def _raise_ef_search(self) -> None:
        """A collection searched with a smaller ef_search than photofind's choice is raised to it,
        before its index is loaded: more candidates per query, better recall (docs/performance.md)."""
        config = (self._collection.configuration_json or {}).get("hnsw") or {}
        if config.get("ef_search", HNSW["ef_search"]) < HNSW["ef_search"]:
            self._collection.modify(configuration={"hnsw": {"ef_search": HNSW["ef_search"]}})
            self._collection = self.client.get_collection(self.name, embedding_function=None)

    def outdated(self) -> bool:
        col = self.collection()
        return col is not None and predates((col.configuration_json or {}).get("hnsw") or {})

    def drop(self) -> None:
        """Delete the collection (and its mirror): `reindex --full` rebuilds an outdated index."""
        if self.collection() is not None:
            self.client.delete_collection(self.name)
            self._collection = None
        if self.mirror is not None:
            self.mirror.drop(sorted(self.mirror.ids()))

    def count(self) -> int:
        col = self.collection()
        return 0 if col is None else int(col.count())

    def describe(self, count: int | None = None) -> dict[str, Any] | None:
        """What `status` shows of this collection (None: it does not exist yet)."""
        col = self.collection()
        return None if col is None else describe(col, count)

    def ids(self) -> set[str]:
        col = self.collection()
        if col is None:
            return set()
        found: set[str] = set()
        offset = 0
        while True:
            page = col.get(include=[], limit=self.max_batch, offset=offset)["ids"]
            found.update(page)
            if len(page) < self.max_batch:
                return found
            offset += len(page)

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]) -> None:
        col = self.collection(dim=int(vectors.shape[1]))
        for start in range(0, len(ids), self.max_batch):
            end = start + self.max_batch
            col.upsert(
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                metadatas=[m or None for m in metadatas[start:end]],
            )
        if self.mirror is not None:
            self.mirror.put(ids, vectors)

    def delete(self, ids: Sequence[str]) -> None:
        col = self.collection()
        if col is None:
            return
        ids = list(ids)
        for start in range(0, len(ids), self.max_batch):
            col.delete(ids=ids[start : start + self.max_batch])
        if self.mirror is not None:
            self.mirror.drop(ids)

    def get(self, ids: Sequence[str]) -> dict[str, tuple[np.ndarray, dict[str, Any]]]:
        col = self.collection()
        if col is None or not ids:
            return {}
        found: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}
        ids = list(ids)
        for start in range(0, len(ids), self.max_batch):  # one call for 32,764 ids fails in SQLite
            got = col.get(ids=ids[start : start + self.max_batch], include=["embeddings", "metadatas"])
            for i, e, m in zip(got["ids"], got["embeddings"], got["metadatas"]):
                found[i] = (np.asarray(e, dtype=np.float32), m or {})
        return found

    def query(self, vector: np.ndarray, n: int, *, total: int | None = None) -> list[Hit]:
        """The n nearest; `total` (the collection's size, if the caller counted it) saves a count."""
        col = self.collection()
        if col is None or n <= 0:
            return []
        n = min(n, col.count() if total is None else total)
        if n == 0:
            return []
        res = col.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n,
                        include=["distances", "metadatas"])
        return [Hit(i, float(d), m or {}) for i, d, m in zip(res["ids"][0], res["distances"][0], res["metadatas"][0])]

    def iter_all(self, chunk: int | None = None) -> Iterator[tuple[list[str], np.ndarray]]:
        """Every (ids, vectors) page; memory stays bounded by `chunk` rows. From the mirror,
        brought in step with Chroma first; from Chroma itself when there is none."""
        col = self.collection()
        if col is None:
            return
        chunk = min(chunk or self.max_batch, self.max_batch)
        if self.mirror is not None:
            self._resync_mirror(col)
            yield from self.mirror.chunks(chunk)
            return
        yield from self._chroma_pages(col, chunk)

    def _resync_mirror(self, col: Any) -> None:
        """The mirror's one resync path: when its count differs from Chroma's (a crash between
        the two writes, or a store from before the mirror), copy what it lacks and drop what
        Chroma no longer holds. Slow once for an old store; a count each scan otherwise."""
        assert self.mirror is not None
        if self.mirror.count() == col.count():
            return
        have = self.mirror.ids()
        ids = self.ids()
        self.mirror.drop(sorted(have - ids))
        missing = sorted(ids - have)
        for start in range(0, len(missing), 500):  # small pages: Chroma's cost per vector grows with the page
            got = col.get(ids=missing[start : start + 500], include=["embeddings"])
            self.mirror.put(list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32))

    @staticmethod
    def _chroma_pages(col: Any, chunk: int) -> Iterator[tuple[list[str], np.ndarray]]:
        offset = 0
        while True:
            got = col.get(include=["embeddings"], limit=chunk, offset=offset)
            if not got["ids"]:
                return
            yield list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32)
            if len(got["ids"]) < chunk:
                return
            offset += len(got["ids"])


def describe(col: Any, count: int | None = None) -> dict[str, Any]:
    meta = col.metadata or {}
    hnsw = (col.configuration_json or {}).get("hnsw") or {}
    return {
        "name": col.name, "model": str(meta.get("photofind_model", "?")), "space": str(meta.get("hnsw:space", "l2")),
        "vectors": int(col.count() if count is None else count),
        "hnsw": {k: hnsw[k] for k in ("max_neighbors", "ef_construction", "ef_search") if k in hnsw},
    }


def photofind_collections(client: Any) -> list[Any]:
    return [c for c in client.list_collections() if c.name.startswith(COLLECTION_PREFIX + "_")]
