"""The photos of one store as one model sees them: a Library binds the catalog (paths, dates),
that model's vectors and the model itself, and answers the four kinds of query, each a thin
call: `like` (image files, indexed or not), `like_stored` (an indexed photo's own vector),
`like_upload` (bytes held in memory) and `search_text` (words, through CLIP's text tower).

Each one checks its input before any work (the Ranking has checked itself already), makes one
query vector (photofind.query.query_vectors, mixed by photofind.query.combined when there are
several parts), and ranks for it (photofind.query.matches). The query's own files are never
listed; their copies are."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from photofind.embedders import text_models
from photofind.embedders.base import Embedder
from photofind.errors import InputError
from photofind.query.combined import check_weights, mix
from photofind.query.matches import answer, count_vectors
from photofind.query.query_vectors import image_parts, upload_vector
from photofind.query.ranking import Ranking
from photofind.query.weighted import WeightedImage
from photofind.results import AnsweredPart, QueryResult
from photofind.store.catalog import Catalog
from photofind.store.vectors import VectorStore

DEFAULT_RANKING = Ranking()


@dataclass(frozen=True)
class Library:
    catalog: Catalog
    vectors: VectorStore  # the collection of `embedder`'s vectors
    embedder: Embedder
    max_pixels: int = 200_000_000  # the decompression-bomb guard for query images (index.max_pixels)

    def like(self, images: Sequence[WeightedImage | Path | str], ranking: Ranking = DEFAULT_RANKING) -> QueryResult:
        """The photos most like one image file, or like the weighted mix of several (a negative
        weight steers away: --not). The first image names the query."""
        asked = [_absolute(i) for i in images]
        check_weights([AnsweredPart("image", i.path, i.weight) for i in asked])
        total = count_vectors(self.vectors)
        parts, vecs = image_parts(asked, self.vectors, self.embedder, self.max_pixels)
        return self._answer(parts[0].value, mix(parts, vecs), ranking, total, parts)

    def like_stored(self, digest: str, ranking: Ranking = DEFAULT_RANKING) -> QueryResult:
        """"More like this" for an indexed photo: its stored vector, no file read. The photo itself
        (all its copies) is left out; the query is named by its first path."""
        total = count_vectors(self.vectors)
        stored = self.vectors.get([digest])
        if digest not in stored:
            raise InputError(f"no indexed photo has content {digest[:12]}…")
        paths = self.catalog.paths_for([digest]).get(digest, [])
        name = paths[0][0] if paths else digest
        part = AnsweredPart("image", name, 1.0, was_indexed=True)
        return self._answer(name, stored[digest][0], ranking, total, [part], exclude_hash=digest)

    def like_upload(self, data: bytes, name: str, ranking: Ranking = DEFAULT_RANKING) -> QueryResult:
        """The photos most like an image held in memory (never written or indexed). Its indexed
        copies are listed: they are what the user may be looking for."""
        total = count_vectors(self.vectors)
        vector, _, was_indexed = upload_vector(data, self.vectors, self.embedder, self.max_pixels)
        # An upload is not a file of this machine: named, but nothing is excluded by its name.
        return self._answer(name, vector, ranking, total, [AnsweredPart("upload", name, 1.0, was_indexed)])

    def search_text(self, text: str, ranking: Ranking = DEFAULT_RANKING,
                    examples: Sequence[WeightedImage] = ()) -> QueryResult:
        """Photos matching a description, through CLIP's text tower: text and image vectors
        share one space, so the text vector queries the same collection. With `examples`, the
        words (weight 1) and the weighted images are mixed into one vector."""
        if not self.embedder.supports_text:
            raise InputError(no_text_tower(self.embedder.id))
        if not text.strip():
            raise InputError("give some words to search for")
        asked = [_absolute(i) for i in examples]
        words = AnsweredPart("text", text, 1.0)
        check_weights([words, *(AnsweredPart("image", i.path, i.weight) for i in asked)])
        total = count_vectors(self.vectors)
        parts, vecs = image_parts(asked, self.vectors, self.embedder, self.max_pixels)
        vector = mix([words, *parts], [self.embedder.embed_texts([text])[0], *vecs])
        return self._answer(text, vector, ranking, total, [words, *parts], is_text=True)

    def _answer(self, query: str, vector: object, ranking: Ranking, total: int, parts: list[AnsweredPart],
                *, is_text: bool = False, exclude_hash: str | None = None) -> QueryResult:
        return answer(query, vector, self.catalog, self.vectors, self.embedder, ranking, total=total, parts=parts,
                      is_text=is_text, exclude_hash=exclude_hash)


def no_text_tower(model_id: str) -> str:
    """Said once, with the one way forward: `search` with a model that has no text tower."""
    names = text_models()
    return (f"{model_id} has no text tower, so it cannot search by words; only {' or '.join(names)} can. "
            f"Add its vectors to this library once with: photofind reindex --model {names[0]} (it downloads "
            "CLIP's weights, about 600 MB; with no network, set model.checkpoint to a local CLIP weights file "
            "first). Until then, search by example: photofind like IMAGE")


def _absolute(image: WeightedImage | Path | str) -> WeightedImage:
    """A weighted image with its path absolute (a bare path weighs 1)."""
    if not isinstance(image, WeightedImage):
        image = WeightedImage(str(image))
    return WeightedImage(str(Path(image.path).expanduser().resolve()), image.weight)
