from __future__ import annotations

import numpy as np
import pytest

from photofind.query import distances as metrics
from photofind.query.distances import chroma_to_metric, exact_top_k, scores
from photofind.evaluation.quality import average_precision_at, precision_at, recall

Q = np.array([[1.0, 2.0, 3.0]])
X = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 4.0, 6.5]])


def test_l1_is_the_sum_of_absolute_differences() -> None:
    # |1-3|+|2-2|+|3-1| = 4 ; |1-2|+|2-4|+|3-6.5| = 6.5
    np.testing.assert_allclose(scores("l1", Q, X)[0], [0.0, 4.0, 6.5])


def test_l2_is_the_mean_squared_difference() -> None:
    # (4+0+4)/3 ; (1+4+12.25)/3
    np.testing.assert_allclose(scores("l2", Q, X)[0], [0.0, 8 / 3, 17.25 / 3], rtol=1e-6)


def test_cosine() -> None:
    # q.x2 = 3+4+3 = 10, |q|=|x2|=sqrt(14)
    np.testing.assert_allclose(scores("cosine", Q, X)[0][:2], [1.0, 10 / 14], rtol=1e-6)


def test_corr_centres_each_vector_on_its_own_mean() -> None:
    # q-mean = (-1,0,1), x2-mean = (1,0,-1): perfectly anti-correlated although cosine is 0.71
    assert scores("corr", Q, X)[0][1] == pytest.approx(-1.0, abs=1e-6)
    # a shifted and scaled copy correlates perfectly but is not cosine-identical
    shifted = np.array([[11.0, 13.0, 15.0]])
    assert scores("corr", Q, shifted)[0][0] == pytest.approx(1.0, abs=1e-6)
    assert scores("cosine", Q, shifted)[0][0] < 0.99


@pytest.mark.parametrize("metric", metrics.METRICS)
def test_direction_best_first(metric: str) -> None:
    order = metrics.rank_order(metric, scores(metric, Q, X)[0])
    assert order[0] == 0  # the identical vector is best under every metric


@pytest.mark.parametrize("metric", metrics.METRICS)
def test_exact_top_k_in_chunks_equals_brute_force(metric: str) -> None:
    rng = np.random.default_rng(3)
    vecs = rng.normal(size=(1000, 16)).astype(np.float32)
    ids = [f"id{i}" for i in range(1000)]
    q = rng.normal(size=16).astype(np.float32)
    full = scores(metric, q, vecs)[0]
    brute = [ids[i] for i in metrics.rank_order(metric, full)[:7]]
    got = exact_top_k(metric, q, metrics.chunked(ids, vecs, 64), 7)
    assert [i for i, _ in got] == brute
    np.testing.assert_allclose([s for _, s in got], full[[int(i[2:]) for i in brute]], rtol=1e-5)


def test_chroma_distances_convert_to_metric_units() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(2, 8))
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    cos = float(a @ b)
    sq = float(((a - b) ** 2).sum())
    assert chroma_to_metric("cosine", "cosine", 1 - cos, 8) == pytest.approx(cos)
    assert chroma_to_metric("l2", "cosine", 1 - cos, 8) == pytest.approx(sq / 8)
    assert chroma_to_metric("l2", "l2", sq, 8) == pytest.approx(scores("l2", a, b)[0][0], rel=1e-5)
    assert chroma_to_metric("cosine", "l2", sq, 8) == pytest.approx(cos)


def test_recall_precision_and_average_precision() -> None:
    assert recall(["a", "b", "c"], ["a", "c", "d"]) == pytest.approx(2 / 3)
    assert recall([], []) == 1.0
    labels = ["cat", "dog", "cat", "cat"]
    assert precision_at(labels, "cat", 1) == 1.0
    assert precision_at(labels, "cat", 2) == 0.5
    # hits at ranks 1, 3, 4: (1/1 + 2/3 + 3/4) / min(4, relevant=5)
    assert average_precision_at(labels, "cat", 4, relevant=5) == pytest.approx((1 + 2 / 3 + 3 / 4) / 4)
    assert average_precision_at(labels, "cat", 4, relevant=2) == pytest.approx((1 + 2 / 3 + 3 / 4) / 2)
    assert average_precision_at(labels, "bird", 4, relevant=3) == 0.0
