"""Retrieval-quality scores for `photofind eval`: how many of the top k are right."""

from __future__ import annotations

from typing import Iterable


def recall(approx: Iterable[str], exact: Iterable[str]) -> float:
    """Share of the exact top-k that the approximate top-k found."""
    exact_set = set(exact)
    return len(exact_set & set(approx)) / len(exact_set) if exact_set else 1.0


def precision_at(labels: list[str], truth: str, k: int) -> float:
    return sum(1 for label in labels[:k] if label == truth) / k


def average_precision_at(labels: list[str], truth: str, k: int, relevant: int) -> float:
    """AP@k: mean of P@i over the ranks i <= k that hold a relevant item, divided by min(k, relevant)."""
    hits, total = 0, 0.0
    for i, label in enumerate(labels[:k], start=1):
        if label == truth:
            hits += 1
            total += hits / i
    return total / min(k, relevant) if relevant else 0.0
