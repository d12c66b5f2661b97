"""The trash journal does not grow for ever: the records of finished operations older than 90
days are deleted when a new operation starts; an operation that still has a file in a trash,
or something left to reconcile, is kept whatever its age. Real files in a temp data dir."""

from __future__ import annotations

import time
from pathlib import Path

from photofind.trash.journal import KEEP_FINISHED_DAYS, Journal

DAY = 86400.0


def write_op(journal: Journal, op_id: str, at: float, lines: list[dict]) -> None:
    import json

    journal.folder.mkdir(parents=True, exist_ok=True)
    with open(journal.folder / f"{op_id}.jsonl", "w") as f:
        for line in [{"op": "trash", "id": op_id, "at": at}, *lines]:
            f.write(json.dumps(line) + "\n")


def move(path: str, trash_file: Path) -> dict:
    return {"step": "move", "path": path, "hash": "h" + path, "bytes": 10, "trash_dir": str(trash_file.parents[1]),
            "trash_file": str(trash_file), "info_file": str(trash_file) + ".trashinfo", "top": ""}


def test_old_finished_operations_are_pruned_and_everything_else_kept(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "data")
    files = tmp_path / "Trash" / "files"
    files.mkdir(parents=True)
    old = time.time() - (KEEP_FINISHED_DAYS + 5) * DAY
    still = files / "still.jpg"
    still.write_bytes(b"x")
    write_op(journal, "restored-old", old, [move("/p/a.jpg", files / "a.jpg"), {"step": "moved", "path": "/p/a.jpg"},
                                            {"step": "restore", "path": "/p/a.jpg"},
                                            {"step": "restored", "path": "/p/a.jpg"}, {"step": "indexed"}])
    write_op(journal, "emptied-old", old, [move("/p/b.jpg", files / "b.jpg"), {"step": "moved", "path": "/p/b.jpg"}])
    write_op(journal, "in-trash-old", old, [move("/p/c.jpg", still), {"step": "moved", "path": "/p/c.jpg"}])
    write_op(journal, "cut-short-old", old, [move("/p/d.jpg", files / "d.jpg")])  # a kill -9: to reconcile
    write_op(journal, "restored-new", time.time() - DAY, [move("/p/e.jpg", files / "e.jpg"),
                                                          {"step": "moved", "path": "/p/e.jpg"},
                                                          {"step": "restore", "path": "/p/e.jpg"},
                                                          {"step": "restored", "path": "/p/e.jpg"}, {"step": "indexed"}])
    with journal.start() as writer:  # a new operation prunes first
        new_id = writer.id
    left = {op.id for op in journal.operations()}
    assert left == {"in-trash-old", "cut-short-old", "restored-new", new_id}
