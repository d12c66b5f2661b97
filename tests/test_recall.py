"""The recall of photofind's vector index against an exact scan, at a small size, on a real
Chroma collection made by VectorStore with photofind's HNSW settings (scripts/bench_recall.py
measures the same at 10k-100k for the README)."""

from __future__ import annotations

import pytest

import sys
from pathlib import Path

import numpy as np

from photofind.store.hnsw import HNSW
from photofind.store.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from bench_recall import dataset, exact_top  # noqa: E402  (the bench's generator, not a copy)

pytestmark = pytest.mark.slow  # builds a 5,000-vector HNSW index


def test_recall_at_10_against_an_exact_scan(tmp_path: Path) -> None:
    x, pairs = dataset(5000, 512, seed=3)
    queries = np.random.default_rng(4).choice(len(x), 100, replace=False)
    truth = exact_top(x, x[queries], 10)
    with Store(tmp_path / "data", "test") as store:
        vectors = store.vectors("recall-test", "cosine")
        ids = [f"{i:064x}" for i in range(len(x))]
        vectors.upsert(ids, x, [{}] * len(x))
        config = vectors.collection().configuration_json["hnsw"]
        assert {k: config[k] for k in HNSW} == HNSW  # built with photofind's settings
        recall = np.mean([
            len({int(h.id, 16) for h in vectors.query(x[q], 10)} & set(t)) / 10 for q, t in zip(queries, truth)
        ])
        copies = np.mean([f"{c:064x}" in {h.id for h in vectors.query(x[o], 10)} for o, c in pairs[:50]])
    assert recall >= 0.99, recall
    assert copies == 1.0
