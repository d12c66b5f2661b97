"""`eval`: the tutorial's comparison, measured. A labelled `train/<class>/` library is searched
with every `test/<class>/` image, for each embedder x metric, in stores of its own.

The stores live in the cache dir, one pair (train, test) per dataset folder, so a second run
reads nothing that did not change and the user's own index is never opened.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from photofind.embedders.base import Embedder
from photofind.errors import InputError, ModelUnavailableError
from photofind.grid import contact_sheet, like_tiles
from photofind.media.images import open_image
from photofind.private import private_dir, private_files
from photofind.indexer import make_indexer
from photofind.results import Progress
from photofind.query.distances import CHROMA_METRICS, METRICS, chunked, exact_top_k
from photofind.evaluation.quality import average_precision_at, precision_at, recall
from photofind.scanner import PathFilter, scan
from photofind.results import Match
from photofind.query.matches import expand_hits, ranked_hashes
from photofind.store.store import Store

if TYPE_CHECKING:
    from photofind.settings import Settings

MAP_AT = 10
THROUGHPUT_SAMPLE = 64


@dataclass(frozen=True)
class Layout:
    root: Path
    train: dict[str, list[str]]  # class -> image paths
    test: dict[str, list[str]]


def read_layout(data: Path, path_filter: PathFilter) -> Layout:
    """Check DATA/train/<class>/* and DATA/test/<class>/*, or say what is wrong in one line."""
    expected = "expected DATA/train/<class>/* and DATA/test/<class>/*"
    if not data.is_dir():
        raise InputError(f"{data} is not a folder; {expected}")
    splits: dict[str, dict[str, list[str]]] = {}
    for split in ("train", "test"):
        folder = data / split
        if not folder.is_dir():
            raise InputError(f"{data} has no {split}/ folder; {expected}")
        classes = sorted(p for p in folder.iterdir() if p.is_dir() and not path_filter.excluded(p.name, p.name))
        if not classes:
            raise InputError(f"{folder} has no class folders; {expected}")
        splits[split] = {}
        for c in classes:
            images = sorted(st.path for st in scan(c, path_filter))
            if not images:
                raise InputError(f"class {c.name!r} in {split}/ has no images")
            splits[split][c.name] = images
    absent = sorted(set(splits["test"]) - set(splits["train"]))
    if absent:
        raise InputError(f"test classes missing from train/: {', '.join(absent)}")
    return Layout(data, splits["train"], splits["test"])


@dataclass
class EvalRow:
    embedder: str
    metric: str
    precision: dict[int, float] = field(default_factory=dict)  # k -> P@k
    map10: float = 0.0
    hnsw_recall: float | None = None  # None: the metric has no Chroma path
    images_per_s: float = 0.0
    query_ms: float = 0.0
    queries: int = 0
    error: str | None = None


@dataclass
class EvalReport:
    dataset: str
    train_images: int
    test_images: int
    classes: int
    ks: list[int]
    rows: list[EvalRow]
    skipped: list[tuple[str, str]]

    def to_json(self) -> dict:
        return asdict(self)


def _class_of(path: str, split_root: Path) -> str:
    return Path(path).relative_to(split_root).parts[0]


def _throughput(embedder: Embedder, paths: Sequence[str]) -> float:
    """Images per second for decode + embed, on a fixed sample, with the model already loaded."""
    sample = list(paths[:THROUGHPUT_SAMPLE])
    embedder.ensure_loaded()
    started = time.perf_counter()
    images = [open_image(p, embedder.input_size)[0] for p in sample]
    for start in range(0, len(images), 32):
        embedder.embed(images[start : start + 32])
    return len(sample) / (time.perf_counter() - started)


def evaluate(
    layout: Layout,
    embedders: Sequence[str],
    make_embedder: Callable[[str], Embedder],
    *,
    metrics: Sequence[str] = METRICS,
    ks: Sequence[int] = (1, 5, 10),
    settings: "Settings",
    grid_dir: Path | None = None,
    on_progress: Callable[[str, Progress], None] | None = None,
) -> EvalReport:
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        raise InputError(f"unknown metric {bad[0]!r}; choose from {', '.join(METRICS)}")
    if not ks or min(ks) < 1:
        raise InputError("-k needs positive numbers, e.g. -k 1,5,10")
    depth = max(max(ks), MAP_AT)
    dataset_key = hashlib.sha256(str(layout.root.resolve()).encode()).hexdigest()[:16]
    stores = private_dir(settings.store.cache_dir) / "eval" / dataset_key
    with private_files():  # its own stores: private like the user's index
        stores.mkdir(parents=True, exist_ok=True)
    rows: list[EvalRow] = []
    skipped: list[tuple[str, str]] = []
    relevant = {c: len(paths) for c, paths in layout.train.items()}
    for name in embedders:
        try:
            embedder = make_embedder(name)
            rows += _evaluate_one(
                layout, embedder, metrics, ks, depth, relevant, stores,
                settings, grid_dir, skipped,
                (lambda p, n=name: on_progress(n, p)) if on_progress else None,
            )
        except ModelUnavailableError as exc:
            rows += [EvalRow(name, m, error=str(exc)) for m in metrics]
    return EvalReport(
        str(layout.root), sum(map(len, layout.train.values())), sum(map(len, layout.test.values())),
        len(layout.train), list(ks), rows, skipped,
    )


def _evaluate_one(
    layout: Layout, embedder: Embedder, metrics: Sequence[str], ks: Sequence[int], depth: int,
    relevant: dict[str, int], cache: Path, settings: "Settings",
    grid_dir: Path | None, skipped: list[tuple[str, str]], on_progress: Callable[[Progress], None] | None,
) -> list[EvalRow]:
    train_root, test_root = layout.root / "train", layout.root / "test"
    with Store(cache / "train", "eval") as train, Store(cache / "test", "eval") as test:
        train_vectors = train.vectors(embedder.id, "cosine")
        test_vectors = test.vectors(embedder.id, "cosine")
        for store, vectors, root in ((train, train_vectors, train_root), (test, test_vectors, test_root)):
            # The user's thumbnails stay: eval's stores are its own, what they collect is theirs.
            report = make_indexer(
                store.catalog, vectors, embedder, settings, on_progress=on_progress, on_collected=None,
            ).index_roots([root])
            skipped += [s for s in report.skipped if s not in skipped]
        ids = sorted(train_vectors.ids())
        stored = train_vectors.get(ids)
        matrix = np.stack([stored[i][0] for i in ids]) if ids else np.zeros((0, 1), dtype=np.float32)
        queries = [(r.path, r.hash) for r in test.catalog.iter_ok()]
        query_vecs = test_vectors.get([h for _, h in queries])
        speed = _throughput(embedder, [p for p, _ in queries])

        rows = []
        for metric in metrics:
            row = EvalRow(embedder.id, metric, images_per_s=speed, queries=len(queries))
            p_sum = {k: 0.0 for k in ks}
            ap_sum = recall_sum = seconds = 0.0
            for path, digest in queries:
                vector = query_vecs[digest][0]
                started = time.perf_counter()
                exact = exact_top_k(metric, vector, chunked(ids, matrix, 4096), depth)
                exact_seconds = time.perf_counter() - started
                if metric in CHROMA_METRICS:  # what `like` does: ask Chroma's HNSW index
                    started = time.perf_counter()
                    hits = ranked_hashes(vector, train_vectors, metric, depth)
                    seconds += time.perf_counter() - started
                    recall_sum += recall([h for h, _, _ in hits], [h for h, _ in exact])
                else:  # l1 and corr are only ever answered by the exact scan
                    seconds += exact_seconds
                    meta = train_vectors.get([h for h, _ in exact]) if grid_dir else {}
                    hits = [(h, s, meta.get(h, (None, {}))[1]) for h, s in exact]
                matches: list[Match] = expand_hits(hits, train.catalog, {path}, depth)
                labels = [_class_of(m.path, train_root) for m in matches]
                truth = _class_of(path, test_root)
                for k in ks:
                    p_sum[k] += precision_at(labels, truth, k)
                ap_sum += average_precision_at(labels, truth, MAP_AT, relevant[truth])
                if grid_dir is not None:
                    name = f"{truth}__{Path(path).stem}__{embedder.id}__{metric}.png"
                    contact_sheet(like_tiles(path, matches[: max(ks)], metric), grid_dir / name)
            n = max(len(queries), 1)
            row.precision = {k: p_sum[k] / n for k in ks}
            row.map10 = ap_sum / n
            row.hnsw_recall = recall_sum / n if metric in CHROMA_METRICS else None
            row.query_ms = 1000 * seconds / n
            rows.append(row)
        return rows
