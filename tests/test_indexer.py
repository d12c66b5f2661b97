"""The indexer with real parts: real Chroma in a temp dir, real JPEG files, the pixel embedder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from photofind.embedders.pixel import PixelEmbedder
from photofind.indexer import Indexer
from photofind.planning import Plan
from photofind.scanner import FileStat, PathFilter
from photofind.settings import DEFAULT_EXCLUDE, DEFAULT_EXTENSIONS
from photofind.query.ranking import Ranking
from photofind.query.library import Library
from photofind.store.store import Store
from photofind.store.vectors import VectorStore
from tests.helpers.images import library, save, scene


class CountingPixel(PixelEmbedder):
    """The real pixel embedder, recording which images it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.embedded = 0

    def _embed_prepared(self, batch: list[Any]) -> np.ndarray:
        self.embedded += len(batch)
        return super()._embed_prepared(batch)


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "data", "test") as s:
        yield s


def make_indexer(store: Store, embedder: PixelEmbedder, **kw: Any) -> Indexer:
    vectors = store.vectors(embedder.id, kw.pop("space", "cosine"))
    return Indexer(store.catalog, vectors, embedder,
                   path_filter=PathFilter(DEFAULT_EXTENSIONS, DEFAULT_EXCLUDE), batch_size=4, workers=2, **kw)


def consistent(store: Store, embedder_id: str = "pixel-32") -> tuple[set[str], set[str]]:
    """Catalog hashes and vector ids; every row must point at a vector and no vector is orphaned."""
    referenced = store.catalog.referenced_hashes()
    ids = store.vectors(embedder_id, "cosine").ids()
    assert referenced == ids
    return referenced, ids


def test_index_then_like_finds_exact_duplicate_first(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 12)
    shutil.copy(files[5], root / "copy_of_5.jpg")
    emb = CountingPixel()
    report = make_indexer(store, emb).index_roots([root])
    assert (report.embedded, report.reused, report.skipped) == (12, 1, [])
    assert emb.embedded == 12  # the copy shares the original's vector
    res = Library(store.catalog, store.vectors(emb.id, "cosine"), emb).like([files[5]], Ranking(k=3))
    assert res.query_was_indexed
    assert res.matches[0].path == str(root / "copy_of_5.jpg")
    assert res.matches[0].score == pytest.approx(1.0, abs=1e-5)
    assert str(files[5]) not in [m.path for m in res.matches]
    consistent(store)


def test_resized_and_reencoded_copies_rank_first(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    library(root, 20)
    original = scene(7)
    save(original.resize((80, 60)), root / "small.png")
    make_indexer(store, PixelEmbedder()).index_roots([root])
    query = save(original, tmp_path / "query.jpg", quality=40)  # re-encoded hard, not indexed
    res = Library(store.catalog, store.vectors("pixel-32", "cosine"), PixelEmbedder()).like([query], Ranking(k=3))
    assert not res.query_was_indexed
    assert {res.matches[0].path, res.matches[1].path} == {str(root / "photo_0007.jpg"), str(root / "small.png")}


def test_rename_and_move_do_not_re_embed(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 6)
    emb = CountingPixel()
    make_indexer(store, emb).index_roots([root])
    before = emb.embedded
    (root / "sub").mkdir()
    os.rename(files[0], root / "sub" / "renamed.jpg")
    report = make_indexer(store, emb).index_roots([root])
    assert emb.embedded == before
    assert (report.reused, report.removed, report.embedded) == (1, 1, 0)
    assert store.catalog.row(str(root / "sub" / "renamed.jpg")).status == "ok"
    assert store.catalog.row(str(files[0])) is None
    consistent(store)


def test_delete_removes_entry_and_vector(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 5)
    shutil.copy(files[1], root / "dup.jpg")
    indexer = make_indexer(store, PixelEmbedder())
    indexer.index_roots([root])
    files[0].unlink()
    files[1].unlink()  # its copy still references the vector
    report = indexer.index_roots([root])
    assert (report.removed, report.collected) == (2, 1)
    referenced, ids = consistent(store)
    assert len(ids) == 4


def test_edited_file_replaces_its_vector(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 3)
    indexer = make_indexer(store, PixelEmbedder())
    indexer.index_roots([root])
    old_hash = store.catalog.row(str(files[0])).hash
    save(scene(99), files[0], quality=92)
    os.utime(files[0], ns=(1, 1_000_000_000))
    report = indexer.index_roots([root])
    assert (report.embedded, report.collected) == (1, 1)
    assert store.catalog.row(str(files[0])).hash != old_hash
    consistent(store)


def test_broken_files_are_skipped_with_reasons_and_the_rest_index(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    library(root, 4)
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.jpg").write_text("not a photo")
    whole = save(scene(50, (400, 300)), tmp_path / "whole.jpg").read_bytes()
    (root / "truncated.jpg").write_bytes(whole[: len(whole) // 3])
    (root / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    report = make_indexer(store, PixelEmbedder()).index_roots([root])
    reasons = dict((Path(p).name, r) for p, r in report.skipped)
    assert set(reasons) == {"empty.jpg", "notes.jpg", "truncated.jpg", "corrupt.png"}
    assert reasons["empty.jpg"] == "empty file"
    assert "not a readable image" in reasons["notes.jpg"]
    assert "corrupt" in reasons["truncated.jpg"]
    assert report.embedded == 4
    ok, unique, skipped = store.catalog.counts()
    assert (ok, sum(skipped.values())) == (4, 4)
    # A second run does not retry unchanged broken files.
    assert make_indexer(store, PixelEmbedder()).index_roots([root]).hashed == 0


def test_exif_rotated_copy_matches_upright_original(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    library(root, 10, size=(160, 120))
    upright = scene(3, (160, 120))
    exif = Image.Exif()
    exif[0x0112] = 8  # "rotate 270 CW to view"
    query = save(upright.transpose(Image.Transpose.ROTATE_270), tmp_path / "rotated.jpg", exif=exif, quality=92)
    make_indexer(store, PixelEmbedder()).index_roots([root])
    res = Library(store.catalog, store.vectors("pixel-32", "cosine"), PixelEmbedder()).like([query], Ranking(k=1))
    assert res.matches[0].path == str(root / "photo_0003.jpg")
    assert res.matches[0].score > 0.99


def test_missing_root_keeps_its_entries(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "usbdrive"
    library(root, 3)
    indexer = make_indexer(store, PixelEmbedder())
    indexer.index_roots([root])
    shutil.move(root, tmp_path / "elsewhere")  # "unplugged"
    report = indexer.index_roots([root])
    assert report.missing_roots == [root] and report.removed == 0
    assert store.catalog.counts()[0] == 3


def test_switching_model_fills_its_own_collection_without_rehashing(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    library(root, 5)
    make_indexer(store, PixelEmbedder()).index_roots([root])
    small = PixelEmbedder(size=8)
    report = make_indexer(store, small).index_roots([root])
    assert report.unchanged == 5 and report.embedded == 5
    assert store.vectors(small.id, "cosine").count() == 5
    assert store.vectors("pixel-32", "cosine").count() == 5


def test_full_reindex_re_embeds_everything_once(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 5)
    shutil.copy(files[0], root / "dup.jpg")
    emb = CountingPixel()
    make_indexer(store, emb).index_roots([root])
    emb.embedded = 0
    report = make_indexer(store, emb).index_roots([root], full=True)
    assert emb.embedded == 5 and report.hashed == 6
    consistent(store)


def test_excluded_and_hidden_names_are_not_indexed(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    library(root, 2)
    save(scene(1), root / ".thumbs" / "t.jpg")
    save(scene(2), root / "@eaDir" / "t.jpg")
    save(scene(3), root / "photo.jpg.bak", format="JPEG")  # not an image extension
    report = make_indexer(store, PixelEmbedder()).index_roots([root])
    assert report.scanned == 2


def test_an_unchanged_rescan_never_opens_chroma(tmp_path: Path) -> None:
    root = tmp_path / "photos"
    library(root, 4)
    with Store(tmp_path / "data", "test") as store:
        make_indexer(store, PixelEmbedder()).index_roots([root])

    def no_chroma(_path: Path) -> None:
        raise AssertionError("Chroma was opened for a rescan that found nothing to do")

    with Store(tmp_path / "data", "test", client_factory=no_chroma) as store:
        report = make_indexer(store, PixelEmbedder()).index_roots([root])
        assert report.unchanged == 4 and report.hashed == 0
    (root / "photo_0000.jpg").unlink()  # now there is work, and it is done as usual
    with Store(tmp_path / "data", "test") as store:
        assert make_indexer(store, PixelEmbedder()).index_roots([root]).removed == 1
        consistent(store)


def spy_full_scans(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the catalog-wide `referenced_hashes` queries an apply makes."""
    calls: list[int] = []
    real = store.catalog.referenced_hashes

    def counting() -> set[str]:
        calls.append(1)
        return real()

    monkeypatch.setattr(store.catalog, "referenced_hashes", counting)
    return calls


def stat_of(path: Path) -> FileStat:
    st = os.stat(path)
    return FileStat(str(path), st.st_size, st.st_mtime_ns)


def test_a_one_photo_event_costs_the_change_not_the_catalog(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "photos"
    files = library(root, 8)
    shutil.copy(files[2], root / "copy_of_2.jpg")
    indexer = make_indexer(store, PixelEmbedder())
    indexer.index_roots([root])
    scans = spy_full_scans(store, monkeypatch)

    new = save(scene(99), root / "new.jpg")
    report = indexer.apply(Plan(to_hash=[stat_of(new)]))
    assert report.embedded == 1
    files[5].unlink()
    assert indexer.apply(Plan(removed=[str(files[5])])).collected == 1  # its only file: the vector goes
    (root / "copy_of_2.jpg").unlink()
    assert indexer.apply(Plan(removed=[str(root / "copy_of_2.jpg")])).collected == 0  # files[2] still holds it
    assert scans == []  # no catalog-wide query in any of the three
    monkeypatch.undo()
    consistent(store)


def test_a_move_over_another_photo_releases_its_vector(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 3)
    indexer = make_indexer(store, PixelEmbedder())
    indexer.index_roots([root])
    os.replace(files[0], files[1])  # the watcher sees a move onto an indexed file
    moved, overwritten = store.catalog.move(str(files[0]), str(files[1]))
    assert moved == 1 and len(overwritten) == 1
    assert indexer.apply(Plan(released=overwritten)).collected == 1
    consistent(store)


def test_after_a_crash_the_next_apply_reconciles_the_whole_collection(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    library(root, 3)
    emb = PixelEmbedder()
    indexer = make_indexer(store, emb)
    indexer.index_roots([root])
    vectors = store.vectors(emb.id, "cosine")
    # A crash between the vector write and its row: a vector no row points at, and the mark left at "0".
    vectors.upsert(["f" * 64], emb.embed([scene(5)]), [{}])
    with store.catalog.transaction():
        store.catalog.set_meta(f"in_sync:{vectors.name}", "0")
    report = make_indexer(store, emb).index_roots([root])
    assert report.collected == 1 and report.hashed == 0
    consistent(store)


def test_full_scans_read_the_mirror_which_follows_every_write(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 6)
    emb = PixelEmbedder()
    indexer = make_indexer(store, emb)
    indexer.index_roots([root])
    vectors = store.vectors(emb.id, "cosine")
    assert vectors.mirror is not None and vectors.mirror.ids() == vectors.ids()
    files[0].unlink()
    indexer.index_roots([root])
    assert vectors.mirror.ids() == vectors.ids() and len(vectors.ids()) == 5
    from_chroma = dict(zip(*next(VectorStore._chroma_pages(vectors.collection(), 100))))  # Chroma renormalises
    for ids, matrix in vectors.iter_all():
        for i, row in zip(ids, matrix):
            np.testing.assert_allclose(row, np.asarray(from_chroma[i], dtype=np.float32), rtol=1e-5, atol=1e-7)


def test_a_mirror_out_of_step_is_rebuilt_from_chroma(store: Store, tmp_path: Path) -> None:
    library(tmp_path / "photos", 4)
    emb = PixelEmbedder()
    make_indexer(store, emb).index_roots([tmp_path / "photos"])
    vectors = store.vectors(emb.id, "cosine")
    assert vectors.mirror is not None
    vectors.mirror.drop(sorted(vectors.mirror.ids())[:3])  # as after a crash between the two writes
    vectors.mirror.put(["0" * 64], np.ones((1, emb.dim), dtype=np.float32))  # and a stale extra
    got = {i for ids, _ in vectors.iter_all() for i in ids}
    assert got == vectors.ids() == vectors.mirror.ids()


def test_new_collections_get_photofinds_index_settings_and_old_ones_are_raised_or_rebuilt(
    store: Store, tmp_path: Path
) -> None:
    from photofind.status_report import collect_status
    from photofind.store.hnsw import HNSW

    root = tmp_path / "photos"
    library(root, 5)
    emb = PixelEmbedder()
    vectors = store.vectors(emb.id, "cosine")
    # a collection from an older photofind: smaller graph, small ef_search
    store.client.create_collection(vectors.name, embedding_function=None, metadata={
        "hnsw:space": "cosine", "photofind_model": emb.id, "photofind_dim": emb.dim, "hnsw:M": 8,
        "hnsw:search_ef": 10})
    make_indexer(store, emb).index_roots([root])
    config = vectors.collection().configuration_json["hnsw"]
    assert config["ef_search"] == HNSW["ef_search"] and config["max_neighbors"] == 8  # raised; M is fixed
    status = collect_status(store.catalog, lambda: store.client, store.data_dir, emb.id)
    assert [c.predates for c in status.collections] == [True]

    report = make_indexer(store, emb).index_roots([root], full=True)
    assert report.embedded == 5
    rebuilt = store.vectors(emb.id, "cosine").collection().configuration_json["hnsw"]
    assert {k: rebuilt[k] for k in HNSW} == HNSW
    status = collect_status(store.catalog, lambda: store.client, store.data_dir, emb.id)
    assert [(c.predates, c.vectors) for c in status.collections] == [(False, 5)]
    consistent(store)


def test_rows_changed_under_one_model_are_reconciled_for_the_others(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    files = library(root, 3)
    a, b = PixelEmbedder(), PixelEmbedder(16)
    make_indexer(store, a).index_roots([root])
    make_indexer(store, b).index_roots([root])
    save(scene(50), root / "new.jpg")
    files[0].unlink()
    make_indexer(store, b).index_roots([root])  # only b's run sees the change on disk
    report = make_indexer(store, a).index_roots([root])  # nothing changed since, yet a must catch up
    assert (report.embedded, report.collected) == (1, 1)
    assert store.vectors(a.id, "cosine").ids() == store.catalog.referenced_hashes()
