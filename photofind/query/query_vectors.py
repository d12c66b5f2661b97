"""A query's vectors: an image file's or an upload's stored vector when its bytes are indexed
(then no model is loaded, and torch is never imported), else the model's; and the weighted
images of a combined query, each as a part and a vector."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from photofind.embedders.base import Embedder
from photofind.errors import InputError, NotAnImageError
from photofind.media.files import NotRegularFileError, check_regular
from photofind.media.hashing import sha256_file
from photofind.media.images import open_image
from photofind.query.weighted import WeightedImage
from photofind.results import AnsweredPart
from photofind.store.vectors import VectorStore


def check_query_file(path: Path) -> None:
    """The one place a query path is checked: a regular file (never a FIFO or a device)."""
    if not os.path.lexists(path):
        raise InputError(f"{path} does not exist")
    try:
        check_regular(path)
    except NotRegularFileError as exc:
        raise InputError(f"{path}: {exc}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


def query_vector(path: Path, vectors: VectorStore, embedder: Embedder, max_pixels: int) -> tuple[np.ndarray, str, bool]:
    """(unit vector, content hash, was it already stored?) for any image file."""
    check_query_file(path)
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    stored = vectors.get([digest])
    if digest in stored:
        return stored[digest][0], digest, True
    try:
        image, _ = open_image(path, embedder.input_size, max_pixels)
    except NotAnImageError as exc:  # the reason alone ("unknown format") does not say which file
        raise NotAnImageError(f"{path}: {exc}") from None
    return embedder.embed([image])[0], digest, False


def upload_vector(data: bytes, vectors: VectorStore, embedder: Embedder, max_pixels: int) -> tuple[np.ndarray, str, bool]:
    """query_vector for bytes held in memory (a web upload): never written to disk or indexed."""
    digest = hashlib.sha256(data).hexdigest()
    stored = vectors.get([digest])
    if digest in stored:
        return stored[digest][0], digest, True
    image, _ = open_image(io.BytesIO(data), embedder.input_size, max_pixels)
    return embedder.embed([image])[0], digest, False



def image_parts(
    images: Sequence[WeightedImage], vectors: VectorStore, embedder: Embedder, max_pixels: int
) -> tuple[list[AnsweredPart], list[np.ndarray]]:
    """Each weighted image's part and unit vector: stored vectors reused for indexed images, the
    model run only for the rest. Every file is checked before the model runs for any."""
    for image in images:
        check_query_file(Path(image.path))
    parts, vecs = [], []
    for image in images:
        vector, _, was_indexed = query_vector(Path(image.path), vectors, embedder, max_pixels)
        parts.append(AnsweredPart("image", image.path, image.weight, was_indexed))
        vecs.append(vector)
    return parts, vecs
