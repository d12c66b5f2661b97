"""The review of `dupes --trash` / `restore`: a trash name reused after the trash was emptied,
the keeper's own file under a second path, the keeper policy, a shared drive's trash made by
someone else, a /proc pseudo-file, and a FIFO swapped in mid-check. Real files in the test's
own folders and its own XDG_DATA_HOME (tests/conftest.py), never the machine's trash."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from photofind.dupes.report import Member, keeper
from tests.cli.test_trash import SHAPES, can_unshare, cli, lib, sha, trash_dir  # noqa: F401 (lib: a fixture)
from tests.helpers.cli import run_here
from tests.helpers.images import library, save, scene


def _empty_the_trash() -> None:
    for sub in ("files", "info"):
        for p in (trash_dir() / sub).iterdir():
            p.unlink()


@pytest.mark.parametrize("same_path", [False, True])
def test_restore_leaves_a_strangers_file_that_reused_our_trash_name(lib: Path, same_path: bool) -> None:
    """The user empties the trash; the desktop then trashes another file under the same name.
    `same_path`: even a .trashinfo naming our path (a new file saved there, then trashed) is not
    ours when its bytes are not the ones we moved."""
    assert cli("dupes", "-m", "pixel", "--trash", "--yes").exit_code == 0
    ours = lib / "p" / "p_small.jpg"
    _empty_the_trash()
    stranger = b"someone else's file, trashed by the desktop after the trash was emptied"
    (trash_dir() / "files" / "p_small.jpg").write_bytes(stranger)
    where = ours if same_path else Path("/home/someone/Pictures/p_small.jpg")
    info = trash_dir() / "info" / "p_small.jpg.trashinfo"
    info.write_text(f"[Trash Info]\nPath={quote(str(where))}\nDeletionDate=2026-01-01T00:00:00\n")
    res = cli("restore", "--yes", "-m", "pixel")
    assert res.exit_code == 1
    assert f"skipped {ours}: no longer in the trash" in res.output
    assert not ours.exists()  # the stranger's bytes were not put at our path
    assert (trash_dir() / "files" / "p_small.jpg").read_bytes() == stranger
    assert info.exists()  # nor the desktop's .trashinfo deleted
    assert "nothing to restore" in cli("restore", "--yes", "-m", "pixel").output  # recorded as gone


def test_a_hard_link_to_the_keeper_is_not_moved(tmp_path: Path) -> None:
    """The keeper's own file under a second name (as a bind mount or a share mounted twice
    shows it: same st_dev and st_ino): moving it frees nothing and, across mounts, takes the keeper."""
    root = tmp_path / "photos"
    library(root / "others", 2, start=300, size=(320, 240))
    a = save(scene(1, (320, 240), SHAPES), root / "a.jpg", quality=92)
    os.link(a, root / "a link.jpg")
    assert cli("index", str(root), "-m", "pixel").exit_code == 0
    res = cli("dupes", "-m", "pixel", "--trash", "--yes", "--json", "--keep", "shortest-path")
    assert res.exit_code in (0, 1), res.output
    done = json.loads(res.stdout)
    assert done["moved"] == []
    assert dict(map(tuple, done["skipped"]))[str(root / "a link.jpg")].startswith(f"the same file as its keeper {a}")
    assert a.exists() and (root / "a link.jpg").exists()
    assert not (trash_dir() / "files").exists() or not any((trash_dir() / "files").iterdir())


def test_keep_policies_never_keep_a_re_encode_or_a_downscale() -> None:
    original = Member("/x/deep/folder/original.jpg", 900_000, 4000, 3000, "2021-06-01T10:00:00", "h1")
    q20 = Member("/x/q20.jpg", 150_000, 4000, 3000, "2019-01-01T00:00:00", "h2")  # older, shorter path, fewer bytes
    small = Member("/x/s.jpg", 80_000, 1000, 750, "2018-01-01T00:00:00", "h3")
    newer_copy = Member("/x/deep/folder/copy/original.jpg", 900_000, 4000, 3000, "2022-01-01T00:00:00", "h4")
    members = [q20, small, original, newer_copy]
    assert keeper(members) == original.path
    assert keeper(members, "largest") == original.path
    assert keeper(members, "oldest") == original.path
    assert keeper(members, "newest") == newer_copy.path  # chooses among the best copies only
    assert keeper(members, "shortest-path") == original.path


@pytest.mark.skipif(not can_unshare("-rm"), reason="no user and mount namespaces (unshare -rm) for a second drive")
def test_a_drive_trash_that_others_can_write_is_refused_in_one_line(tmp_path: Path) -> None:
    """$top/.Trash-$uid made beforehand by someone else, world-writable: they could swap what
    goes in or read it; the copy on that drive stays where it is, with one clear line."""
    drive, home_lib = tmp_path / "drive", tmp_path / "photos"
    drive.mkdir()
    a = save(scene(1, (320, 240), SHAPES), home_lib / "a.jpg", quality=92)
    os.utime(a, (1_500_000_000, 1_500_000_000))
    py = f"{sys.executable} -m photofind --no-server"
    script = f"""
set -e
mount -t tmpfs -o size=8m tmpfs '{drive}'
mkdir '{drive}/trip' '{drive}/.Trash-0'
chmod 0777 '{drive}/.Trash-0'
cp '{a}' '{drive}/trip/a copy.jpg'
{py} index '{home_lib}' '{drive}' -m pixel > /dev/null
{py} dupes -m pixel --trash --yes || echo "exit $?"
echo "--- left"; ls '{drive}/trip'; ls -A '{drive}/.Trash-0'
"""
    res = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                         env=dict(os.environ), timeout=300)
    assert "--- left" in res.stdout, res.stdout + res.stderr
    said = [line for line in res.stderr.splitlines() if "a copy.jpg" in line]
    assert len(said) == 1 and "cannot be written (others can write to it)" in said[0], res.stderr
    assert res.stdout.split("--- left")[1].split() == ["a", "copy.jpg"]  # still there; the trash untouched


@pytest.mark.timeout(120)  # the hang guard: a read without end fails here
def test_a_proc_pseudo_file_named_like_a_photo_is_not_read_on_and_on(tmp_path: Path) -> None:
    """/proc/self/pagemap is a "regular" file of size 0 that reads on for gigabytes: the index
    hashes no more than the size the file reports, and the run goes on."""
    if not os.path.exists("/proc/self/pagemap"):
        pytest.skip("no /proc/self/pagemap here")
    root = tmp_path / "photos"
    library(root, 2, start=300, size=(160, 120))
    (root / "x.jpg").symlink_to("/proc/self/pagemap")
    res = run_here("--no-server", "index", str(root), "-m", "pixel")
    assert "x.jpg" in res.stdout + res.stderr and "empty file" in res.stdout + res.stderr, res.stdout + res.stderr
    status = json.loads(cli("status", "-m", "pixel", "--json").stdout)
    assert status["files"] == 2


def test_a_fifo_swapped_in_while_checked_is_skipped_and_the_batch_goes_on(lib: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A real FIFO takes a copy's place between its lstat and its re-hash (the moment is forced
    by swapping it in just before the real hash runs; the open and the refusal are real)."""
    from photofind.trash import actions

    victim, real = lib / "q" / "q3.jpg", actions.sha256_file

    def swap_then_hash(path: str | Path) -> str:
        if Path(path) == victim and not victim.is_fifo():
            victim.unlink()
            os.mkfifo(victim)
        return real(path)

    monkeypatch.setattr(actions, "sha256_file", swap_then_hash)
    res = cli("dupes", "-m", "pixel", "--trash", "--yes", "--json")  # before: NotRegularFileError escaped
    assert res.exit_code in (0, 1), res.output
    done = json.loads(res.stdout)
    why = dict(map(tuple, done["skipped"]))
    assert why[str(victim)].startswith("no longer a regular file") and "FIFO" in why[str(victim)]
    assert len(done["moved"]) == 8  # the rest of the batch went on
    assert victim.is_fifo()


def test_a_copy_whose_move_takes_the_keeper_is_put_straight_back(lib: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """One file under two mounts with different inode numbers cannot be made here (no second
    NFS mount): the real rename into the trash runs, then the keeper is moved aside as such a
    move would take it (injected), and the copy must come straight back."""
    from photofind.trash import actions

    keeper_path, copy, aside = lib / "p" / "p.jpg", lib / "p" / "p_small.jpg", tmp_path / "aside.jpg"
    before = sha(copy)
    real = actions.fd.move_in

    def move_in_taking_the_keeper(original: str, spot: object) -> None:
        real(original, spot)  # type: ignore[arg-type]
        if Path(original) == copy:
            keeper_path.rename(aside)

    monkeypatch.setattr(actions.fd, "move_in", move_in_taking_the_keeper)
    res = cli("dupes", "-m", "pixel", "--trash", "--yes", "--json")
    done = json.loads(res.stdout)
    why = dict(map(tuple, done["skipped"]))
    assert why[str(copy)].startswith(f"the keeper {keeper_path} went with it")
    assert sha(copy) == before  # back at its path
    assert not (trash_dir() / "files" / "p_small.jpg").exists()
    assert not (trash_dir() / "info" / "p_small.jpg.trashinfo").exists()
    assert str(copy) not in {p for p, _ in done["moved"]}
