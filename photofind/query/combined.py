"""Combined queries: several example photos, words and photos, photos to steer away from, all
as one query vector.

Every stored vector and every query vector is L2-normalised (unit length), so a query of
several parts is their weighted sum, renormalised:

    q = (w₁·v₁ + w₂·v₂ + … + wₙ·vₙ) / ‖w₁·v₁ + w₂·v₂ + … + wₙ·vₙ‖

vᵢ is each part's unit vector (an image's stored or computed vector, or CLIP's vector of the
words) and wᵢ its weight: 1 unless the user gives one, negative for a part to steer away from
(`--not`). q is a unit vector like the stored ones, so every metric (cosine and l2 from
Chroma's index, l1 and corr by exact scan) scores the photos against it exactly as it would
against one query image. Only the ratios of the weights matter: renormalising removes scale.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from photofind.errors import InputError
from photofind.results import AnsweredPart

# Below this length (relative to the sum of |weights|) the parts cancel out: `like a --not a`.
CANCELLED = 1e-4


def check_weights(parts: Sequence[AnsweredPart]) -> None:
    """Before any model loads: every weight a finite number other than 0, and something to look
    for (a positive part). A request from the socket is checked here too."""
    if not parts:
        raise InputError("give at least one image or some words to look for")
    for part in parts:
        if not isinstance(part.weight, (int, float)) or not math.isfinite(part.weight) or part.weight == 0:
            raise InputError(f"weight {part.weight!r} of {part.value}: a weight must be a finite number other than 0")
    if all(part.weight < 0 for part in parts):
        raise InputError("every part of the query is to steer away from (--not): give something to look for")


def mix(parts: Sequence[AnsweredPart], vectors: Sequence[np.ndarray]) -> np.ndarray:
    """The query vector of `parts` (see the module docstring), as float32."""
    check_weights(parts)
    if len(parts) == 1:
        return np.asarray(vectors[0], dtype=np.float32)  # one positive unit vector: q is that vector
    total = sum(p.weight * np.asarray(v, dtype=np.float64) for p, v in zip(parts, vectors, strict=True))
    norm = float(np.linalg.norm(total))
    if norm < CANCELLED * sum(abs(p.weight) for p in parts):
        raise InputError("the parts of the query cancel out (the same photo given to look for and to avoid?)")
    return (total / norm).astype(np.float32)
