"""How often Chroma's HNSW index returns the true nearest neighbours, by collection size, vector
dimension and index configuration: recall@10 against an exact scan, the share of planted
near-copies (cosine ~0.9998 to their original) found in the top 10, build time and query time.

Vectors are synthetic but shaped like image embeddings: unit vectors drawn around a few hundred
cluster centres (real photo collections are clumpy: many shots of few scenes), plus planted
near-copies, the case that matters most (a resized copy must be found).

    .venv/bin/python scripts/bench_recall.py --sizes 10000,100000 --dims 512 \
        --configs 16/100/100,16/200/200,32/200/100
A config is max_neighbors/ef_construction/ef_search; after each build, --ef-search values are
tried on the same index (ef_search can change on a live collection, the others cannot).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

QUERIES = 200
COPIES = 200


# Mean cosine between two unrelated photos, by the model the dimension stands for: image
# embeddings share a large common direction (CLIP ~0.5, post-ReLU CNN features more, raw pixels,
# all positive, most), which crowds the neighbours together and makes the index's job harder.
MEAN_COSINE = {512: 0.5, 1280: 0.6, 3072: 0.85}


def dataset(n: int, dim: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(n + COPIES vectors, index pairs (original, copy))."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(50, n // 200), dim)).astype(np.float32)
    labels = rng.integers(0, len(centres), n)
    x = centres[labels] + 0.9 * rng.standard_normal((n, dim)).astype(np.float32)
    spread = float(np.mean(np.sum(x[:1000] ** 2, axis=1)))
    t = MEAN_COSINE.get(dim, 0.5)
    common = rng.standard_normal(dim).astype(np.float32)
    x += np.sqrt(t * spread / (1 - t)) * common / np.linalg.norm(common)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    originals = rng.choice(n, COPIES, replace=False)
    copies = x[originals] + 0.02 / np.sqrt(dim) * rng.standard_normal((COPIES, dim)).astype(np.float32)
    copies /= np.linalg.norm(copies, axis=1, keepdims=True)
    pairs = np.stack([originals, np.arange(n, n + COPIES)], axis=1)
    return np.concatenate([x, copies]), pairs


def photo_pixels(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The `pixel` model's 3072-d vectors of photos like scripts/bench_scale.py's (a random 4x5
    colour field, smoothly upscaled), with near-copies: the crowded case, where unrelated photos
    are at cosine ~0.9 and the index must still rank a copy first."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    fields = rng.integers(0, 256, (n, 4, 5, 3), dtype=np.uint8)
    x = np.empty((n, 3072), dtype=np.float32)
    for i in range(n):
        im = Image.fromarray(fields[i], "RGB").resize((64, 48), Image.Resampling.BILINEAR)
        x[i] = np.asarray(im.resize((32, 32), Image.Resampling.BILINEAR), dtype=np.float32).reshape(-1)
    originals = rng.choice(n, COPIES, replace=False)
    copies = x[originals] * (1 + 0.01 * rng.standard_normal((COPIES, 3072)).astype(np.float32))
    x = np.concatenate([x, copies])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x, np.stack([originals, np.arange(n, n + COPIES)], axis=1)


def exact_top(x: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    top = np.empty((len(queries), k), dtype=np.int64)
    for i in range(0, len(queries), 50):
        s = queries[i : i + 50] @ x.T
        part = np.argpartition(-s, k, axis=1)[:, :k]
        order = np.take_along_axis(s, part, axis=1).argsort(axis=1)[:, ::-1]
        top[i : i + 50] = np.take_along_axis(part, order, axis=1)
    return top


def build(client, name: str, x: np.ndarray, m: int, efc: int, efs: int) -> float:
    col = client.create_collection(name, embedding_function=None, metadata={
        "hnsw:space": "cosine", "hnsw:M": m, "hnsw:construction_ef": efc, "hnsw:search_ef": efs})
    started = time.perf_counter()
    step = client.get_max_batch_size()
    for i in range(0, len(x), step):
        col.add(ids=[str(j) for j in range(i, min(i + step, len(x)))], embeddings=x[i : i + step])
    col.query(query_embeddings=x[:1], n_results=1)  # flush Chroma's brute-force buffer into HNSW
    return time.perf_counter() - started


def measure(col, x: np.ndarray, pairs: np.ndarray, truth: np.ndarray, queries: np.ndarray) -> tuple[float, float, float]:
    started = time.perf_counter()
    res = col.query(query_embeddings=x[queries], n_results=10, include=[])
    ms = (time.perf_counter() - started) * 1000 / len(queries)
    got = [set(map(int, ids)) for ids in res["ids"]]
    recall = float(np.mean([len(g & set(t)) / 10 for g, t in zip(got, truth)]))
    res = col.query(query_embeddings=x[pairs[:, 0]], n_results=10, include=[])
    found = float(np.mean([str(c) in ids for c, ids in zip(pairs[:, 1], res["ids"])]))
    return recall, found, ms


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="10000")
    p.add_argument("--dims", default="512")
    p.add_argument("--configs", default="16/100/100")
    p.add_argument("--ef-search", default="", help="more ef_search values to try on each built index")
    p.add_argument("--kind", choices=("clustered", "photos"), default="clustered",
                   help="photos: the pixel model's vectors of generated photos (dims ignored: 3072)")
    args = p.parse_args()
    import chromadb
    from chromadb.api.client import SharedSystemClient
    from chromadb.config import Settings

    print(f"{'n':>8} {'dim':>5} {'M/efC/efS':>12} {'build s':>8} {'recall@10':>10} {'copies':>7} {'query ms':>9}", flush=True)
    for n in map(int, args.sizes.split(",")):
        for dim in map(int, args.dims.split(",")):
            x, pairs = photo_pixels(n) if args.kind == "photos" else dataset(n, dim)
            queries = np.random.default_rng(1).choice(len(x), QUERIES, replace=False)
            truth = exact_top(x, x[queries], 10)
            for config in args.configs.split(","):
                m, efc, efs = map(int, config.split("/"))
                with tempfile.TemporaryDirectory() as tmp:
                    client = chromadb.PersistentClient(path=str(Path(tmp)), settings=Settings(anonymized_telemetry=False))
                    seconds = build(client, "bench", x, m, efc, efs)
                    col = client.get_collection("bench")
                    for ef in [efs] + [int(e) for e in args.ef_search.split(",") if e]:
                        if ef != efs:  # takes effect when the index is next loaded: reopen the client
                            col.modify(configuration={"hnsw": {"ef_search": ef}})
                            del col, client
                            SharedSystemClient.clear_system_cache()
                            client = chromadb.PersistentClient(path=str(Path(tmp)), settings=Settings(anonymized_telemetry=False))
                            col = client.get_collection("bench")
                        recall, found, ms = measure(col, x, pairs, truth, queries)
                        print(f"{n:>8} {dim:>5} {f'{m}/{efc}/{ef}':>12} {seconds:>8.1f} {recall:>10.4f} "
                              f"{found:>7.3f} {ms:>9.2f}", flush=True)
                    del client


if __name__ == "__main__":
    main()
