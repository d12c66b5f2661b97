"""photofind.query.combined.mix on hand-made unit vectors: the weighted sum, renormalised, and the
weights a request from the socket may carry that the CLI would never build."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photofind.query.combined import mix
from photofind.errors import InputError
from photofind.results import AnsweredPart


def parts(*weights: float) -> list[AnsweredPart]:
    return [AnsweredPart("image", f"/p/{i}.jpg", w) for i, w in enumerate(weights)]


def test_the_weighted_sum_renormalised() -> None:
    e = np.eye(4, dtype=np.float32)
    q = mix(parts(3, 4), [e[0], e[1]])
    assert q.dtype == np.float32 and np.allclose(q, [0.6, 0.8, 0, 0])  # (3, 4) / 5
    q = mix(parts(1, -1), [e[0], (e[0] + e[2]) / math.sqrt(2)])
    want = e[0] - (e[0] + e[2]) / math.sqrt(2)
    assert np.allclose(q, want / np.linalg.norm(want)) and math.isclose(float(np.linalg.norm(q)), 1, rel_tol=1e-6)


@pytest.mark.parametrize("weights, message", [
    ((1, float("nan")), "finite number other than 0"),
    ((1, float("inf")), "finite number other than 0"),
    ((1, 0), "finite number other than 0"),
    ((-1, -2), "give something to look for"),
    ((1, -1), "cancel out"),
])
def test_weights_that_mean_nothing_are_input_errors(weights: tuple[float, ...], message: str) -> None:
    v = np.eye(3, dtype=np.float32)[0]
    with pytest.raises(InputError, match=message):
        mix(parts(*weights), [v] * len(weights))
