"""What `photofind dupes --trash` leaves in the desktop trash is read back by another implementation
of the freedesktop.org Trash specification: trash-cli (`trash-list`, `trash-restore`, installed
with the test extra), the tool many Linux users already use. If our .trashinfo files were wrong
(escaping, dates, the info/files pairing) a file manager would list them wrongly or not at all.

Runs in the test's own XDG_DATA_HOME (tests/conftest.py): never the machine's own trash."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from photofind.cli.app import app
from tests.helpers.images import save, scene

# A space, non-ASCII, "%", "#", brackets, and "%41", which a missing escape would read back as "A".
ODD_NAMES = ["a copy.jpg", "été 100%.jpg", "x%41.jpg", "#1 [x].jpg"]


def trash_cli(tool: str) -> list[str]:
    exe = Path(sys.executable).with_name(tool)
    if not exe.exists():
        pytest.fail(f"{tool} is missing: install the test extra (pip install -e '.[test]')")
    return [str(exe), "--trash-dir", str(Path(os.environ["XDG_DATA_HOME"]) / "Trash")]


@pytest.fixture
def trashed(tmp_path: Path) -> tuple[Path, dict[Path, str]]:
    """A keeper and three byte-identical copies under odd names, moved to the trash by photofind."""
    root = tmp_path / "photos"
    keeper = save(scene(4, (320, 240)), root / "keep" / "original.jpg", quality=92)
    os.utime(keeper, (1_500_000_000, 1_500_000_000))  # the oldest: the keeper
    copies = {}
    for name in ODD_NAMES:
        (root / "copies").mkdir(parents=True, exist_ok=True)
        copy = Path(shutil.copy(keeper, root / "copies" / name))
        copies[copy] = hashlib.sha256(copy.read_bytes()).hexdigest()
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(root), "-m", "pixel"]).exit_code == 0
    res = runner.invoke(app, ["dupes", "-m", "pixel", "--trash", "--yes", "--json"])
    assert res.exit_code == 0, res.output
    assert {Path(p) for p, _ in json.loads(res.stdout)["moved"]} == set(copies)
    return root, copies


def test_trash_cli_lists_every_trashed_copy_at_its_original_path(trashed: tuple[Path, dict[Path, str]]) -> None:
    _, copies = trashed
    out = subprocess.run([*trash_cli("trash-list")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # Each line: "YYYY-MM-DD HH:MM:SS /original/path"
    listed = {Path(line.split(" ", 2)[2]) for line in out.stdout.splitlines() if line.strip()}
    assert listed == set(copies), out.stdout


def test_trash_cli_restores_a_copy_photofind_trashed_byte_for_byte(trashed: tuple[Path, dict[Path, str]]) -> None:
    _, copies = trashed
    target = sorted(copies)[0]
    assert not target.exists()
    # trash-restore asks which entry to restore; "0" picks the first listed under this folder.
    out = subprocess.run([*trash_cli("trash-restore"), str(target)], input="0\n", capture_output=True, text=True,
                         timeout=60, cwd=target.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    assert target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == copies[target]
