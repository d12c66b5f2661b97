"""`photofind dupes --trash` and `photofind restore` on real files, a real store (pixel model)
and a real trash directory under the test's own XDG_DATA_HOME (tests/conftest.py): never the
machine's trash. What a user sees is read back: the files on disk, the .trashinfo files (parsed
here, by the spec, not by photofind's code), the catalog through `status` and `like`.

Commands that must be killed, or lose root's power to read any file, run as real subprocesses."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from photofind.cli.app import app
from photofind.dupes.report import Group, Member, keeper
from tests.helpers.images import library, photo, save, scene

runner = CliRunner()
SHAPES = [(25, 30), (60, 60), (80, 25)]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def trash_dir() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "Trash"


def trashinfo(name: str, trash: Path | None = None) -> dict[str, str]:
    """The key=value lines of info/NAME.trashinfo, as the spec defines them."""
    text = ((trash or trash_dir()) / "info" / f"{name}.trashinfo").read_text()
    assert text.splitlines()[0] == "[Trash Info]"
    return dict(line.split("=", 1) for line in text.splitlines()[1:] if "=" in line)


def cli(*args: str) -> object:
    return runner.invoke(app, [*args], catch_exceptions=False)


def indexed() -> int:
    res = cli("status", "-m", "pixel", "--json")
    return json.loads(res.stdout)["files"]


@pytest.fixture
def lib(tmp_path: Path) -> Path:
    """Three identical copies (a/a.jpg the oldest), the same picture at two sizes, and a pair of
    identical copies in q/ for the skip cases; four other photos."""
    root = tmp_path / "photos"
    library(root / "others", 4, start=300, size=(320, 240))
    a = save(scene(1, (320, 240), SHAPES), root / "a" / "a.jpg", quality=92)
    shutil.copy(a, root / "a" / "a copy.jpg")
    (root / "b").mkdir()
    shutil.copy(a, root / "b" / "a again.jpg")
    os.utime(a, (1_500_000_000, 1_500_000_000))
    p = photo(2)
    save(p, root / "p" / "p.jpg", quality=95)
    save(p.resize((320, 240)), root / "p" / "p_small.jpg", quality=90)
    q = save(scene(9, (320, 240), SHAPES), root / "q" / "q.jpg", quality=92)
    os.utime(q, (1_500_000_000, 1_500_000_000))
    for name in ("q1.jpg", "q2.jpg", "q3.jpg", "q4.jpg", "q5.jpg", "q6.jpg"):
        shutil.copy(q, root / "q" / name)
    res = cli("index", str(root), "-m", "pixel")
    assert res.exit_code == 0, res.output
    return root


def test_trash_moves_all_but_the_keeper_into_the_trash_and_restore_puts_them_back(lib: Path) -> None:
    before = {p: sha(p) for p in lib.rglob("*.jpg")}
    sizes = {p: p.stat().st_size for p in before}
    count = indexed()
    res = cli("dupes", "-m", "pixel", "--trash", "--yes", "--json")
    assert res.exit_code == 0, res.output
    done = json.loads(res.stdout)
    moved = {Path(p) for p, _ in done["moved"]}
    assert moved == {lib / "a" / "a copy.jpg", lib / "b" / "a again.jpg", lib / "p" / "p_small.jpg",
                     *(lib / "q" / f"q{i}.jpg" for i in range(1, 7))}
    assert done["skipped"] == [] and done["bytes"] == sum(sizes[p] for p in moved)
    # On disk: the keepers stay, every other copy is in files/ with its .trashinfo.
    for p in before:
        assert p.exists() == (p not in moved), p
    names = {}
    for trashed in (trash_dir() / "files").iterdir():
        info = trashinfo(trashed.name)
        original = Path(unquote(info["Path"]))
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", info["DeletionDate"])
        assert sha(trashed) == before[original]
        names[original] = trashed.name
    assert set(names) == moved
    assert names[lib / "a" / "a copy.jpg"] == "a copy.jpg"  # a space survives the URL escaping
    assert "Path=" + str(lib / "a" / "a%20copy.jpg") in (trash_dir() / "info" / "a copy.jpg.trashinfo").read_text()
    # The catalog followed at once: status counts and like answers no longer have them.
    assert indexed() == count - len(moved)
    like = json.loads(cli("like", str(lib / "a" / "a.jpg"), "-m", "pixel", "-k", "50", "--json").stdout)
    listed = {Path(path) for m in like["matches"] for path in m.get("paths", [m.get("path")]) if path}
    assert listed and not listed & moved
    assert cli("dupes", "-m", "pixel", "--json").stdout.count('"members"') == 0

    # restore: the folder b/ is gone meanwhile, and is made again
    (lib / "b").rmdir()
    listing = cli("restore", "--list", "-m", "pixel")
    assert done["operation"] in listing.stdout and "9" in listing.stdout
    res = cli("restore", "--yes", "-m", "pixel")
    assert res.exit_code == 0, res.output
    assert f"made the missing folder {lib / 'b'}" in res.stdout
    assert {p: sha(p) for p in lib.rglob("*.jpg")} == before  # every file, byte for byte, at its path
    assert not any((trash_dir() / "files").iterdir()) and not any((trash_dir() / "info").iterdir())
    assert indexed() == count  # indexed again
    assert cli("dupes", "-m", "pixel", "--json").stdout.count('"members"') == 3
    assert "nothing to restore" in cli("restore", "--yes", "-m", "pixel").output


def test_restore_never_overwrites_what_stands_at_a_path_now(lib: Path) -> None:
    assert cli("dupes", "-m", "pixel", "--trash", "--yes").exit_code == 0
    newcomer = lib / "p" / "p_small.jpg"
    newcomer.write_bytes(b"a new file the user put here meanwhile")
    res = cli("restore", "--yes", "-m", "pixel")
    assert res.exit_code == 1
    assert f"skipped {newcomer}: something stands at its path now; it was left in the trash" in res.output
    assert newcomer.read_bytes() == b"a new file the user put here meanwhile"
    assert (trash_dir() / "files" / "p_small.jpg").exists() and (trash_dir() / "info" / "p_small.jpg.trashinfo").exists()
    assert (lib / "a" / "a copy.jpg").exists()  # the rest went back
    listing = cli("restore", "--list", "-m", "pixel").stdout
    assert re.search(r"│\s+1 │\s+8 │", listing), listing  # 1 still in the trash, 8 restored


def test_dry_run_and_a_pipe_without_yes_move_nothing(lib: Path) -> None:
    files = sorted(lib.rglob("*.jpg"))
    res = cli("dupes", "-m", "pixel", "--dry-run")
    assert res.exit_code == 0
    assert "Would move 9 files" in res.output and "in 3 groups" in res.output
    assert f"{lib / 'p' / 'p_small.jpg'}   (keeping {lib / 'p' / 'p.jpg'})" in res.output
    res = cli("dupes", "-m", "pixel", "--trash")  # CliRunner's stdin is not a terminal
    assert res.exit_code == 2 and "add --yes" in res.output
    assert sorted(lib.rglob("*.jpg")) == files and not trash_dir().exists()


def test_keep_policies_choose_the_keeper(lib: Path) -> None:
    members = [Member("/x/long/name.jpg", 900, 100, 100, "2020-01-01T00:00:00", "h1"),
               Member("/x/a.jpg", 800, 200, 100, "2021-01-01T00:00:00", "h2"),
               Member("/x/bb.jpg", 800, 200, 100, "2019-01-01T00:00:00", "h3")]
    assert keeper(members) == "/x/bb.jpg"  # most pixels, then most bytes, then oldest
    assert keeper(members, "largest") == "/x/bb.jpg"
    # the others choose among the copies with the most pixels and bytes: never name.jpg
    assert keeper(members, "oldest") == "/x/bb.jpg"
    assert keeper(members, "newest") == "/x/a.jpg"
    assert keeper(members, "shortest-path") == "/x/a.jpg"
    res = cli("dupes", "-m", "pixel", "--trash", "--yes", "--keep", "shortest-path")
    assert res.exit_code == 0, res.output
    assert (lib / "b" / "a again.jpg").exists() is False and (lib / "a" / "a.jpg").exists()
    assert (lib / "q" / "q.jpg").exists() and not (lib / "q" / "q1.jpg").exists()
    res = cli("dupes", "-m", "pixel", "--trash", "--keep", "biggest")
    assert res.exit_code == 2 and "--keep takes largest, oldest, newest, shortest-path" in res.output


def test_edited_and_loose_groups_are_never_trashed() -> None:
    from photofind.dupes.report import DupesReport
    from photofind.trash.report import plan

    m = [Member("/a.jpg", 10, 2, 2, "2020", "h1"), Member("/b.jpg", 10, 2, 2, "2021", "h2")]
    groups = [Group("near", m, "/a.jpg", "verified", 3, 1.0, tier) for tier in ("identical", "same", "edited", "loose")]
    assert [g.trashable for g in groups] == [True, True, False, False]
    todo = plan(DupesReport("pixel", groups))
    assert len(todo.groups) == 2 and todo.left_for_review == 2
    assert all(item.path == "/b.jpg" for g in todo.groups for item in g.move)


def test_loose_groups_are_left_for_review(lib: Path) -> None:
    res = cli("dupes", "-m", "pixel", "--loose", "--dry-run")
    assert res.exit_code == 0
    assert "p_small.jpg" not in res.output.split("Would move")[0]  # a loose group: never planned
    assert "left for you to review" in res.output


# -- files that changed between the index and --trash: real subprocesses --------------------

def photofind(*args: str, env: dict[str, str] | None = None, drop_root: bool = False,
              **kw: object) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess. `drop_root`: in a new user namespace where root has no
    power over files it does not map (unshare --user, as tests/test_onnx.py does), so a mode-000
    file is really unreadable to it, as it is to any user."""
    command = [sys.executable, "-m", "photofind", "--no-server", *args]
    if drop_root and os.geteuid() == 0:
        command = ["unshare", "--user", *command]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=180, **kw)  # type: ignore[call-overload]


def can_unshare(*flags: str) -> bool:
    return bool(shutil.which("unshare")) and subprocess.run(["unshare", *flags, "true"]).returncode == 0


@pytest.mark.slow
def test_each_file_that_changed_vanished_or_cannot_be_read_is_skipped_with_its_reason(lib: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0 and not can_unshare("--user"):
        pytest.skip("root reads any file, and no user namespace is available to take that power away")
    q = lib / "q"
    data = bytearray((q / "q1.jpg").read_bytes())
    data[-3] ^= 0xFF  # same size, other bytes: only a re-hash sees it
    (q / "q1.jpg").write_bytes(bytes(data))
    (q / "q2.jpg").unlink()  # vanished
    (q / "q3.jpg").rename(tmp_path / "q3 elsewhere.jpg")  # moved away
    (q / "q4.jpg").chmod(0)  # unreadable
    (q / "q5.jpg").unlink()
    (q / "q5.jpg").symlink_to(q / "q.jpg")  # replaced by a link
    (lib / "a" / "a.jpg").unlink()  # the keeper of group a is gone: none of its copies may go
    res = photofind("dupes", "-m", "pixel", "--trash", "--yes", drop_root=True)
    (q / "q4.jpg").chmod(0o644)
    assert res.returncode == 1, res.stderr
    said = {line.split(": ", 1)[0].removeprefix("skipped "): line.split(": ", 1)[1] for line in res.stderr.splitlines()
            if line.startswith("skipped ")}
    assert said[str(q / "q1.jpg")] == "its bytes changed since it was indexed"
    assert said[str(q / "q2.jpg")] == "gone (moved or deleted since it was indexed)"
    assert said[str(q / "q3.jpg")] == "gone (moved or deleted since it was indexed)"
    assert said[str(q / "q4.jpg")] == "unreadable (Permission denied)"
    assert said[str(q / "q5.jpg")] == "now a symbolic link; only regular files are moved"
    for name in ("a copy.jpg",):
        assert said[str(lib / "a" / name)].startswith(f"kept: the keeper {lib / 'a' / 'a.jpg'} is gone")
    assert said[str(lib / "b" / "a again.jpg")].startswith("kept: the keeper")
    # the rest went on
    assert "Moved 2 files" in res.stdout
    assert sorted(p.name for p in (trash_dir() / "files").iterdir()) == ["p_small.jpg", "q6.jpg"]
    for p in (q / "q1.jpg", q / "q4.jpg", lib / "a" / "a copy.jpg", lib / "b" / "a again.jpg"):
        assert p.exists()


@pytest.mark.slow
def test_a_trash_on_another_mount_that_cannot_be_written_is_one_line_and_moves_nothing(tmp_path: Path) -> None:
    """A real second mount: a tmpfs mounted in a private mount namespace (unshare -rm, so the
    host sees nothing). The library's copy on it would go to its own .Trash-$uid; the drive is
    then remounted read-only, as a write-protected card would be. The home trash still works
    for the copy on the home drive."""
    if not can_unshare("-rm"):
        pytest.skip("no user and mount namespaces here (unshare -rm) to mount a second drive in")
    drive, home_lib = tmp_path / "drive", tmp_path / "photos"
    drive.mkdir()
    a = save(scene(1, (320, 240), SHAPES), home_lib / "a.jpg", quality=92)
    os.utime(a, (1_500_000_000, 1_500_000_000))
    b = save(scene(2, (320, 240), SHAPES), home_lib / "b.jpg", quality=92)
    os.utime(b, (1_500_000_000, 1_500_000_000))
    shutil.copy(b, home_lib / "b copy.jpg")
    staged = tmp_path / "staged"
    staged.mkdir()
    shutil.copy(a, staged / "a on the card.jpg")
    py = f"{sys.executable} -m photofind --no-server"
    script = f"""
set -e
mount -t tmpfs -o size=8m tmpfs '{drive}'
cp '{staged}/a on the card.jpg' '{drive}/'
{py} index '{home_lib}' '{drive}' -m pixel > /dev/null
mount -o remount,ro '{drive}'
set +e
{py} dupes -m pixel --trash --yes --keep oldest
echo "rc=$?"
ls -a '{drive}'
"""
    res = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                         env=dict(os.environ), timeout=300)
    assert "rc=1" in res.stdout, res.stdout + res.stderr
    lines = [line for line in res.stderr.splitlines() if "a on the card.jpg" in line]
    assert len(lines) == 1, res.stderr
    assert re.fullmatch(rf"skipped {re.escape(str(drive))}/a on the card\.jpg: the trash on its drive "
                        rf"\({re.escape(str(drive))}/\.Trash-0\) cannot be written \(Read-only file system\); "
                        r"nothing moved", lines[0]), lines[0]
    assert "a on the card.jpg" in res.stdout.split("rc=1")[1]  # still on the card
    assert "Moved 1 file " in res.stdout  # the home drive's copy went to the home trash
    assert not (home_lib / "b copy.jpg").exists() and (trash_dir() / "files" / "b copy.jpg").exists()
    assert not drive.joinpath("a on the card.jpg").exists()  # the mount never reached the host


@pytest.mark.slow
def test_a_trash_on_another_mount_is_that_drives_trash_and_restore_uses_it(tmp_path: Path) -> None:
    if not can_unshare("-rm"):
        pytest.skip("no user and mount namespaces here (unshare -rm) to mount a second drive in")
    drive, home_lib = tmp_path / "drive", tmp_path / "photos"
    drive.mkdir()
    a = save(scene(1, (320, 240), SHAPES), home_lib / "a.jpg", quality=92)
    os.utime(a, (1_500_000_000, 1_500_000_000))
    py = f"{sys.executable} -m photofind --no-server"
    script = f"""
set -e
mount -t tmpfs -o size=8m tmpfs '{drive}'
mkdir '{drive}/trip'
cp '{a}' '{drive}/trip/a copy.jpg'
{py} index '{home_lib}' '{drive}' -m pixel > /dev/null
{py} dupes -m pixel --trash --yes
echo "--- files"; ls '{drive}/.Trash-0/files'
echo "--- info"; cat '{drive}/.Trash-0/info/a copy.jpg.trashinfo'
rmdir '{drive}/trip'
{py} restore --yes -m pixel
echo "--- back"; ls '{drive}/trip'; ls -A '{drive}/.Trash-0/files'
"""
    res = subprocess.run(["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True,
                         env=dict(os.environ), timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    files, info, back = res.stdout.split("--- files")[1], res.stdout.split("--- info")[1], res.stdout.split("--- back")[1]
    assert files.split("---")[0].split() == ["a", "copy.jpg"]
    assert "Path=trip/a%20copy.jpg" in info  # relative to the drive's top directory, as the spec allows
    assert back.strip() == "a copy.jpg"
    assert not (trash_dir() / "files").exists() or not any((trash_dir() / "files").iterdir())


# -- kill -9 in the middle ----------------------------------------------------------------------

def killed_at(point: str, n: int, tmp_path: Path, *args: str) -> None:
    """Run `photofind ARGS` until it reaches checkpoint POINT for the Nth time (it then writes a
    marker and sleeps: photofind.trash.actions._checkpoint), and kill -9 it there."""
    marker = tmp_path / f"paused-{point}"
    proc = subprocess.Popen([sys.executable, "-m", "photofind", "--no-server", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PHOTOFIND_TEST_PAUSE": f"{point}:{n}:{marker}"})
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"never reached {point}"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # reaps it and closes the pipes
    assert proc.returncode == -signal.SIGKILL


def journal_lines(home: Path) -> list[dict[str, object]]:
    (op,) = sorted((home / "trash-journal").glob("*.jsonl"))
    return [json.loads(line) for line in op.read_text().splitlines()]


def everything_is_somewhere(before: dict[Path, str]) -> dict[Path, str]:
    """Every file is in the library, or in the trash with its .trashinfo; returns where each is."""
    where = {}
    trashed = {}
    for f in (trash_dir() / "files").iterdir() if (trash_dir() / "files").exists() else []:
        info = trashinfo(f.name)
        trashed[Path(unquote(info["Path"]))] = f
    for p, digest in before.items():
        if p.exists():
            assert sha(p) == digest and p not in trashed, p
            where[p] = "library"
        else:
            assert p in trashed and sha(trashed[p]) == digest, p
            where[p] = "trash"
    return where


@pytest.mark.slow
@pytest.mark.parametrize("point", ["trash-journaled", "trash-moved"])
def test_kill_9_during_trash_loses_nothing_and_the_next_command_reconciles(lib: Path, tmp_path: Path,
                                                                          isolated_home: Path, point: str) -> None:
    before = {p: sha(p) for p in lib.rglob("*.jpg")}
    count = indexed()
    killed_at(point, 3, tmp_path, "dupes", "-m", "pixel", "--trash", "--yes")
    where = everything_is_somewhere(before)
    in_trash = {p for p, w in where.items() if w == "trash"}
    assert len(in_trash) == (3 if point == "trash-moved" else 2)
    lines = journal_lines(isolated_home)
    intents = [line["path"] for line in lines if line.get("step") == "move"]
    done = [line["path"] for line in lines if line.get("step") == "moved"]
    assert len(intents) == 3 and len(done) == 2  # the third is journaled, not confirmed
    # `status` only reads: the catalog still has the file in flight (and for trash-moved that
    # file is in the trash already)...
    assert indexed() == count - 2
    # ...until the next command that acts: `restore --list` reconciles it from the disk.
    listing = cli("restore", "--list", "-m", "pixel")
    assert listing.exit_code == 0, listing.output
    lines = journal_lines(isolated_home)
    last = [line for line in lines if line.get("path") == intents[2]][-1]
    assert last["step"] == ("moved" if point == "trash-moved" else "not-moved") and last["reconciled"] is True
    assert indexed() == count - len(in_trash)
    if point == "trash-journaled":  # its .trashinfo never got a file: it is gone again
        assert not list((trash_dir() / "info").glob(Path(intents[2]).name + ".trashinfo"))
    # and a restore brings back exactly what went
    res = cli("restore", "--yes", "-m", "pixel")
    assert res.exit_code == 0, res.output
    assert {p: sha(p) for p in lib.rglob("*.jpg")} == before
    assert indexed() == count


@pytest.mark.slow
def test_kill_9_during_restore_loses_nothing_and_the_next_command_reconciles(lib: Path, tmp_path: Path,
                                                                            isolated_home: Path) -> None:
    before = {p: sha(p) for p in lib.rglob("*.jpg")}
    count = indexed()
    assert cli("dupes", "-m", "pixel", "--trash", "--yes").exit_code == 0
    killed_at("restore-moved", 4, tmp_path, "restore", "--yes", "-m", "pixel")
    where = everything_is_somewhere(before)
    assert list(where.values()).count("library") == len(before) - 9 + 4
    assert indexed() == count - 9  # the four restored are not indexed yet
    res = cli("dupes", "-m", "pixel", "--json")  # any command that reads the catalog reconciles first
    assert res.exit_code == 0
    assert indexed() == count - 9 + 4
    steps = [line for line in journal_lines(isolated_home) if line.get("reconciled")]
    assert [s["step"] for s in steps] == ["restored", "indexed"]
    assert cli("restore", "--yes", "-m", "pixel").exit_code == 0
    assert {p: sha(p) for p in lib.rglob("*.jpg")} == before and indexed() == count


# -- the question, in a real terminal ------------------------------------------------------------

@pytest.mark.slow
def test_the_plan_is_shown_and_the_question_asked_in_a_real_terminal(lib: Path, tmp_path: Path) -> None:
    """tmux: a real tty, so photofind asks; "n" moves nothing, "y" moves the plan."""
    from tests.helpers.terminals import Tmux

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    env = {k: v for k, v in os.environ.items() if k.startswith(("PHOTOFIND_", "XDG_"))}
    exports = "".join(f"export {k}='{v}'\n" for k, v in env.items())
    for n in (1, 2):  # each run its own end line: the first one's stays in the scrollback
        (tmp_path / f"ask{n}.sh").write_text(
            f"{exports}clear\necho __start{n}__\n{sys.executable} -m photofind --no-server dupes -m pixel --trash\n"
            f"echo __done{n}__ $?\n")
    files = sorted(lib.rglob("*.jpg"))

    def screen(tmux: Tmux) -> str:
        return tmux.tmux("capture-pane", "-p", "-t", "t", "-S", "-", "-E", "-")

    def until(tmux: Tmux, text: str, run: int) -> str:
        """What run `run` printed, once it shows `text`."""
        deadline = time.monotonic() + 120
        while True:
            shown = screen(tmux).split(f"__start{run}__")
            if len(shown) > 1 and text in shown[-1]:
                return shown[-1]
            assert time.monotonic() < deadline, shown
            time.sleep(0.2)

    with Tmux(200, 60) as tmux:
        tmux.tmux("send-keys", "-t", "t", f"bash {tmp_path / 'ask1.sh'}", "Enter")
        shown = until(tmux, "Move them to the trash? [y/N]", 1)
        assert "Plan: move 9 files" in shown and "in 3 groups" in shown
        tmux.tmux("send-keys", "-t", "t", "n", "Enter")
        assert "Nothing moved." in until(tmux, "__done1__ 0", 1)
        assert sorted(lib.rglob("*.jpg")) == files
        tmux.tmux("send-keys", "-t", "t", f"bash {tmp_path / 'ask2.sh'}", "Enter")
        until(tmux, "Move them to the trash? [y/N]", 2)
        tmux.tmux("send-keys", "-t", "t", "y", "Enter")
        assert "Moved 9 files" in until(tmux, "__done2__ 0", 2)
    assert len(list((trash_dir() / "files").iterdir())) == 9


def test_restore_undoes_strictly_the_last_operation_and_an_older_one_by_its_id(lib: Path) -> None:
    assert cli("dupes", "-m", "pixel", "--exact-only", "--trash", "--yes").exit_code == 0  # a/ and q/
    assert cli("dupes", "-m", "pixel", "--trash", "--yes").exit_code == 0  # then p_small.jpg
    first, second = re.findall(r"^│ (\d{8}-\d{6}(?:-\d+)?) ", cli("restore", "--list", "-m", "pixel").stdout, re.M)
    assert cli("restore", "--yes", "-m", "pixel").exit_code == 0
    assert (lib / "p" / "p_small.jpg").exists() and not (lib / "q" / "q1.jpg").exists()
    again = cli("restore", "--yes", "-m", "pixel")  # a second restore does not reach further back
    assert again.exit_code == 2 and "nothing to restore: the last trash operation" in again.output
    assert not (lib / "q" / "q1.jpg").exists()
    assert cli("restore", first, "--yes", "-m", "pixel").exit_code == 0
    assert (lib / "q" / "q1.jpg").exists() and (lib / "b" / "a again.jpg").exists()
    assert cli("restore", "nonesuch", "--yes", "-m", "pixel").exit_code == 2
