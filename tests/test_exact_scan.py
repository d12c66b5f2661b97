"""The exact scan on a real store (Chroma and its SQLite mirror in a temp dir) ranks exactly as a
brute-force numpy ranking over the same vectors, for each metric; also after deletes, and
after the mirror falls out of step with Chroma and is resynced by the scan itself."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

from photofind.query import matches
from photofind.query.distances import METRICS
from photofind.query.matches import ranked_hashes
from photofind.store.store import Store
from photofind.store.vectors import VectorStore

COUNT, DIM = 700, 16
PAGE = 256  # rows per page of the scan (its smallest): three pages, so the top-k is merged across them


def brute_force(metric: str, query: np.ndarray, ids: list[str], matrix: np.ndarray) -> list[str]:
    """Every id, best first, scored in float64 straight from each metric's definition."""
    q, x = query.astype(np.float64), matrix.astype(np.float64)
    if metric == "l1":
        key = np.abs(x - q).sum(axis=1)
    elif metric == "l2":
        key = ((x - q) ** 2).mean(axis=1)
    elif metric == "cosine":
        key = -(x @ q) / (np.linalg.norm(x, axis=1) * np.linalg.norm(q))
    elif metric == "corr":
        key = -np.array([np.corrcoef(q, row)[0, 1] for row in x])
    else:
        raise AssertionError(f"no brute force for {metric}")
    return [ids[i] for i in np.argsort(key, kind="stable")]


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matches, "SCAN_PAGE_BYTES", PAGE * 4 * DIM)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data", "test") as s:
        yield s


@pytest.fixture
def filled(store: Store) -> tuple[VectorStore, dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    # Not centred: corr (each vector centred on its own mean) then ranks differently from cosine.
    raw = rng.standard_normal((COUNT, DIM)).astype(np.float32) + np.linspace(0, 1, DIM, dtype=np.float32)
    matrix = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    ids = [f"{i:064x}" for i in rng.permutation(COUNT)]  # hash order is not insertion order
    vectors = store.vectors("test-random", "cosine")
    vectors.upsert(ids, matrix, [{}] * COUNT)
    return vectors, dict(zip(ids, matrix))


def scan(vectors: VectorStore, metric: str, query: np.ndarray, n: int) -> list[str]:
    return [h for h, _, _ in ranked_hashes(query, vectors, metric, n, exact=True)]


def expected(metric: str, query: np.ndarray, held: dict[str, np.ndarray], n: int) -> list[str]:
    ids = list(held)
    return brute_force(metric, query, ids, np.stack([held[i] for i in ids]))[:n]


def queries() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    return [q / np.linalg.norm(q) for q in rng.standard_normal((3, DIM)).astype(np.float32)]


@pytest.mark.parametrize("metric", METRICS)
def test_the_exact_scan_ranks_every_vector_as_brute_force_does(
    filled: tuple[VectorStore, dict[str, np.ndarray]], metric: str
) -> None:
    vectors, held = filled
    for query in queries():
        assert scan(vectors, metric, query, COUNT) == expected(metric, query, held, COUNT)
        assert scan(vectors, metric, query, 10) == expected(metric, query, held, 10)


@pytest.mark.parametrize("metric", METRICS)
def test_after_deletes_the_scan_still_matches_brute_force(
    filled: tuple[VectorStore, dict[str, np.ndarray]], metric: str
) -> None:
    vectors, held = filled
    query = queries()[0]
    gone = expected(metric, query, held, 5) + sorted(held)[:50]  # the best five among them
    vectors.delete(gone)
    remaining = {i: v for i, v in held.items() if i not in gone}
    assert scan(vectors, metric, query, 20) == expected(metric, query, remaining, 20)


@pytest.mark.parametrize("metric", METRICS)
def test_a_mirror_out_of_step_is_resynced_by_the_scan(
    filled: tuple[VectorStore, dict[str, np.ndarray]], metric: str
) -> None:
    vectors, held = filled
    mirror = vectors.mirror
    assert mirror is not None
    query = queries()[1]
    best = expected(metric, query, held, 3)
    # As after a crash between the two writes: rows missing (the best three among them), and a
    # stale row that Chroma never held, equal to the query, so it would rank first if it stayed.
    mirror.drop(best + sorted(held)[:40])
    mirror.put(["f" * 64], query[None, :])
    assert scan(vectors, metric, query, 20) == expected(metric, query, held, 20)
    assert mirror.ids() == set(held)


def test_a_store_from_before_the_mirror_gets_it_filled_on_the_first_full_scan(
    filled: tuple[VectorStore, dict[str, np.ndarray]],
) -> None:
    vectors, held = filled
    assert vectors.mirror is not None
    vectors.mirror.drop(sorted(held))
    assert vectors.mirror.count() == 0
    query = queries()[2]
    assert scan(vectors, "l1", query, 10) == expected("l1", query, held, 10)
    assert vectors.mirror.ids() == set(held)
    pages = {i: row for ids, matrix in vectors.mirror.chunks(PAGE) for i, row in zip(ids, matrix)}
    for i, v in held.items():
        np.testing.assert_allclose(pages[i], v, rtol=1e-5, atol=1e-6)
