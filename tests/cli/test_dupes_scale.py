"""`dupes` on a store past Chroma's 32,763-ids-per-read limit: 33,500 vectors and catalog rows
(dupes itself now reads fingerprints from the catalog and never opens Chroma),
written straight through the real VectorStore and Catalog (decoding 33k images would take
minutes); 8-d vectors stand in for pixel-32's 3,072, which Chroma reads and queries the same way.
"""

from __future__ import annotations

import pytest

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from photofind.cli.app import app
from photofind.media.fingerprint import COLOUR, THUMB, Fingerprint
from photofind.store.catalog import FileRow
from photofind.store.store import Store

pytestmark = pytest.mark.slow  # 33,500 vectors

N = 33_500


def test_dupes_past_chromas_read_limit(isolated_home: Path) -> None:
    rng = np.random.default_rng(0)
    hashes = [f"{i:064x}" for i in range(N)]
    vectors = rng.normal(size=(N, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    codes = rng.integers(0, 2**63, N, dtype=np.int64)
    thumbs = rng.integers(0, 256, (N, THUMB * THUMB), dtype=np.uint8)  # noise: no two alike
    # Planted: 0 is 1 resized (same pHash, thumbnail within JPEG noise), 2 has a second path.
    codes[0] = codes[1]
    thumbs[0] = np.clip(thumbs[1].astype(int) + rng.integers(-3, 4, THUMB * THUMB), 0, 255)
    vectors[0] = vectors[1]
    rows = [FileRow(f"/photos/{i:05d}.jpg", h, 1000 + i, 10**18, "ok") for i, h in enumerate(hashes)]
    rows.append(FileRow("/photos/copy of 00002.jpg", hashes[2], 1002, 10**18, "ok"))
    with Store(isolated_home, "test") as store:
        store.vectors("pixel-32", "cosine").upsert(hashes, vectors, [{}] * N)
        with store.catalog.transaction():
            store.catalog.put_fingerprints(
                (h, Fingerprint(f"{int(c):016x}", 640, 480, None, t.tobytes(), f"{int(c):016x}", t[: COLOUR * COLOUR * 3].tobytes()))
                for h, c, t in zip(hashes, codes, thumbs)
            )
            store.catalog.upsert(rows)
        assert len(store.vectors("pixel-32", "cosine").get(hashes)) == N  # read in batches Chroma accepts
    runner = CliRunner()
    for args in ([], ["--exact-only"]):
        res = runner.invoke(app, ["dupes", "-m", "pixel", "--json", *args])
        assert res.exit_code == 0, res.output
        found = {frozenset(Path(m["path"]).name for m in g["members"]): g["how"] for g in json.loads(res.stdout)["groups"]}
        expected = {frozenset({"00002.jpg", "copy of 00002.jpg"}): "exact"}
        if not args:
            expected[frozenset({"00000.jpg", "00001.jpg"})] = "verified"
        assert found == expected
