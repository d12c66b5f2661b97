"""Opening the store: data dir layout, the owner lock, the catalog and the Chroma client."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable

from photofind.store.catalog import Catalog
from photofind.errors import NoIndexError
from photofind.private import private_dir, private_files
from photofind.store.layout import CATALOG_NAME, CHROMA_DIR, store_exists
from photofind.store.lock import StoreLock
from photofind.store.mirror import VectorMirror
from photofind.store.vectors import VectorStore, collection_name, open_client, open_http_client



class Store:
    """Everything one process owns while it holds the lock. Use as a context manager."""

    def __init__(
        self,
        data_dir: Path,
        command: str,
        *,
        must_exist: bool = False,
        url: str = "",
        client_factory: Callable[[Path], Any] | None = None,
        wait: Callable[[str], None] | None = None,
    ) -> None:
        if must_exist and not store_exists(data_dir):
            raise NoIndexError(f"no index yet in {data_dir}; run: photofind index PATH")
        self.data_dir = private_dir(data_dir)  # made 0700, or an old 0755 one tightened (one line)
        # Every file created while the store is open is 0600: Chroma's and SQLite's own included.
        self._private = ExitStack()
        self._private.enter_context(private_files())
        self._lock = StoreLock(data_dir)
        try:
            self._lock.acquire(command, wait=wait)  # wait: a server waits out a short command
            try:
                self.catalog = Catalog(data_dir / CATALOG_NAME)
            except BaseException:
                self._lock.release()
                raise
        except BaseException:
            self._private.close()
            raise
        # Vectors in a Chroma server (store.url) or in a PersistentClient beside the catalog.
        self._client_factory = client_factory or ((lambda _: open_http_client(url)) if url else open_client)
        self._client: Any = None
        self._vectors: dict[tuple[str, str], VectorStore] = {}

    @property
    def client(self) -> Any:
        if self._client is None:  # chromadb costs ~0.8 s to import: only when vectors are needed
            self._client = self._client_factory(self.data_dir / CHROMA_DIR)
        return self._client

    def vectors(self, embedder_id: str, space: str) -> VectorStore:
        key = (embedder_id, space)
        if key not in self._vectors:
            name = collection_name(embedder_id, space)
            self._vectors[key] = VectorStore(lambda: self.client, embedder_id, space,
                                             mirror=VectorMirror(self.catalog.db, name))
        return self._vectors[key]

    def lock_info(self, **info: str) -> None:
        """Publish how to reach the owner (the daemon's socket) in the lock file."""
        self._lock.update(**info)

    def close(self) -> None:
        try:
            self.catalog.close()
            self._lock.release()
        finally:
            self._private.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def disk_usage(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())

