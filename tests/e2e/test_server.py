"""The on-demand server with real processes: `photofind serve` started by a query, reused,
idling out, killed mid-job, raced, waiting for a short command's lock, cancelled with Ctrl-C,
and answering queries while an index job runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

from photofind.store.lock import StoreLock, read_owner
from photofind.store.store import Store
from tests.helpers.images import library
from tests.helpers.waiting import catalog_rows, wait_until

pytestmark = pytest.mark.slow
PY = sys.executable


@pytest.fixture
def env(isolated_home: Path) -> Iterator[dict[str, str]]:
    """Servers on, the pixel model; every server a test leaves behind is killed at its end."""
    yield {**os.environ, "PHOTOFIND_SERVER_AUTOSTART": "true", "PHOTOFIND_MODEL": "pixel", "COLUMNS": "250"}
    owner = read_owner(isolated_home / "photofind.lock")
    if owner.get("pid") and StoreLock(isolated_home).is_held_elsewhere():
        os.kill(owner["pid"], signal.SIGKILL)


def cli(env: dict[str, str], *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "photofind", *args], capture_output=True, text=True, env=env, timeout=timeout)


def server_pid(home: Path) -> int | None:
    owner = read_owner(home / "photofind.lock")
    return owner.get("pid") if owner.get("command") == "serve" and StoreLock(home).is_held_elsewhere() else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def consistent(home: Path, n: int) -> None:
    with Store(home, "check") as store:
        referenced = store.catalog.referenced_hashes()
        assert referenced == store.vectors("pixel-32", "cosine").ids() and len(referenced) == n


def test_started_by_a_query_reused_then_idles_out(tmp_path: Path, isolated_home: Path, env: dict[str, str]) -> None:
    files = library(tmp_path / "photos", 8)
    env = {**env, "PHOTOFIND_SERVER_IDLE_MINUTES": "0.05"}  # 3 s
    done = cli(env, "index", str(tmp_path / "photos"))
    assert done.returncode == 0, done.stderr
    first = server_pid(isolated_home)
    assert first is not None and "8 embedded with pixel-32" in done.stdout
    res = cli(env, "like", str(files[1]), "-k", "2", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["query_was_indexed"] is True
    assert server_pid(isolated_home) == first  # the same server answered: none was started
    status = json.loads(cli(env, "status", "--json").stdout)
    assert status["daemon_pid"] == first and status["files"] == 8
    wait_until(lambda: not alive(first), timeout=30, what="the idle server exits")
    assert "no requests for" in (isolated_home / "server.log").read_text()
    # status never starts one; like does, and gets the same answer from it
    assert json.loads(cli(env, "status", "--json").stdout)["daemon_pid"] is None
    assert server_pid(isolated_home) is None
    again = cli(env, "like", str(files[1]), "-k", "2", "--json")
    assert json.loads(again.stdout)["matches"] == json.loads(res.stdout)["matches"]
    assert server_pid(isolated_home) not in (None, first)


def test_two_commands_racing_to_start_it_end_with_one_server(tmp_path: Path, isolated_home: Path,
                                                             env: dict[str, str]) -> None:
    files = library(tmp_path / "photos", 4)
    assert cli({**env, "PHOTOFIND_SERVER_AUTOSTART": "false"}, "index", str(tmp_path / "photos")).returncode == 0
    procs = [subprocess.Popen([PY, "-m", "photofind", "like", str(files[0]), "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1] for o in outs]
    pid = server_pid(isolated_home)
    assert pid is not None
    serving = subprocess.run(["pgrep", "-f", f"photofind --data-dir {isolated_home} serve"],
                             capture_output=True, text=True)
    assert [int(p) for p in serving.stdout.split()] == [pid]  # the losers exited


def test_killed_mid_job_then_the_next_command_finishes_it(tmp_path: Path, isolated_home: Path,
                                                          env: dict[str, str]) -> None:
    root = tmp_path / "photos"
    library(root, 600, size=(96, 72))
    env = {**env, "PHOTOFIND_MODEL_BATCH_SIZE": "2"}
    job = subprocess.Popen([PY, "-m", "photofind", "index", str(root), "-q"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: catalog_rows(isolated_home / "catalog.sqlite") >= 40, timeout=60, what="the job under way")
    pid = server_pid(isolated_home)
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    _, err = job.communicate(timeout=60)
    assert job.returncode == 2 and f"photofind serve (pid {pid})" in err and "Traceback" not in err
    again = cli(env, "index", str(root))
    assert again.returncode == 0, again.stderr
    assert server_pid(isolated_home) not in (None, pid)
    cli(env, "serve", "--stop")
    consistent(isolated_home, 600)


def test_ctrl_c_cancels_the_job_cleanly_and_the_server_goes_on(tmp_path: Path, isolated_home: Path,
                                                              env: dict[str, str]) -> None:
    root = tmp_path / "photos"
    library(root, 600, size=(96, 72))
    env = {**env, "PHOTOFIND_MODEL_BATCH_SIZE": "2"}
    # Ctrl-C as at a terminal: a suite started in the background (CI) inherits SIGINT ignored.
    job = subprocess.Popen([PY, "-m", "photofind", "index", str(root)], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_until(lambda: catalog_rows(isolated_home / "catalog.sqlite") >= 40, timeout=60, what="the job under way")
    job.send_signal(signal.SIGINT)
    _, err = job.communicate(timeout=60)
    assert job.returncode == 130, err
    assert "cancelled: photofind serve" in err and "stops this job after the batch in flight" in err
    wait_until(lambda: "cancelled by its client" in (isolated_home / "server.log").read_text(), timeout=60,
               what="cancel logged")
    status = json.loads(cli(env, "status", "--json").stdout)
    assert 0 < status["files"] < 600 and status["daemon_pid"] == server_pid(isolated_home)
    finish = cli(env, "index", str(root), "-q")
    assert finish.returncode == 0, finish.stderr
    cli(env, "serve", "--stop")
    consistent(isolated_home, 600)


def test_queries_are_answered_while_an_index_job_runs(tmp_path: Path, isolated_home: Path,
                                                      env: dict[str, str]) -> None:
    root = tmp_path / "photos"
    files = library(root, 400, size=(96, 72))
    env = {**env, "PHOTOFIND_MODEL_BATCH_SIZE": "4"}
    assert cli(env, "index", str(root / "none"), timeout=60).returncode == 2  # not a folder: nothing started
    job = subprocess.Popen([PY, "-m", "photofind", "index", str(root), "-q"], env=env)
    seen: list[int] = []
    while job.poll() is None:
        res = cli(env, "status", "--json")
        if res.returncode == 0:
            seen.append(json.loads(res.stdout)["files"])
    assert job.returncode == 0
    growing = [n for n in seen if 0 < n < 400]
    assert growing and growing == sorted(growing)  # answered mid-job, from what was indexed so far
    res = cli(env, "like", str(files[7]), "-k", "1", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["query_was_indexed"] is True


def test_a_starting_server_waits_for_a_short_commands_lock(tmp_path: Path, isolated_home: Path,
                                                         env: dict[str, str]) -> None:
    library(tmp_path / "photos", 3)
    assert cli({**env, "PHOTOFIND_SERVER_AUTOSTART": "false"}, "index", str(tmp_path / "photos")).returncode == 0
    held = StoreLock(isolated_home)
    held.acquire("status")  # a short command, as it would hold the store
    log = isolated_home / "server.log"

    def release_once_waited_for() -> None:  # not after a fixed time: a busy machine starts servers slowly
        try:
            wait_until(lambda: log.exists() and "waiting for it to finish" in log.read_text(), 120,
                       "the starting server to wait for the lock")
        finally:
            held.release()

    release = threading.Thread(target=release_once_waited_for)
    release.start()
    res = cli(env, "like", str(tmp_path / "photos" / "photo_0001.jpg"), "--json")
    release.join()
    assert res.returncode == 0, res.stderr
    assert "waiting for it to finish" in (isolated_home / "server.log").read_text()


def test_a_closed_pipe_ends_the_command_quietly(tmp_path: Path, isolated_home: Path, env: dict[str, str]) -> None:
    library(tmp_path / "photos", 30)
    assert cli(env, "index", str(tmp_path / "photos")).returncode == 0
    query = str(tmp_path / "photos" / "photo_0001.jpg")
    for args in (["status", "--json"], ["like", query, "-k", "30"], ["like", query, "-k", "30", "--paths"]):
        proc = subprocess.Popen([PY, "-m", "photofind", *args], env={**env, "COLUMNS": "80"},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None
        proc.stdout.close()  # as `| head` does once it has read enough: here before the first line
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        proc.stderr.close()
        proc.wait(timeout=60)
        assert err == "" and proc.returncode == 141, (args, proc.returncode, err)


def test_a_query_through_the_server_loads_only_its_command_and_answers_as_here(
        tmp_path: Path, isolated_home: Path, env: dict[str, str]) -> None:
    """Through a running server, each query command loads its own command module and nothing
    heavy (no numpy, Chroma, torch, nor pydantic for plain values), and prints what this process prints with the server
    stopped (--no-server), byte for byte, errors included; --help still lists its options."""
    files = library(tmp_path / "photos", 6)
    assert cli(env, "index", str(tmp_path / "photos")).returncode == 0
    pid = server_pid(isolated_home)
    assert pid is not None
    cases = [("like", ["like", str(files[0]), "-k", "3"]), ("like", ["like", str(files[1]), "--json", "--metric", "l1"]),
             ("status", ["status", "--json"]), ("dupes", ["dupes"]), ("like", ["like", "missing.jpg"]),
             ("like", ["like", str(files[0]), "-k", "x"])]
    served = []
    for name, args in cases:
        run = subprocess.run([PY, "-X", "importtime", "-m", "photofind", *args], capture_output=True, text=True,
                             env=env, timeout=60)
        loaded = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
        commands = {m for m in loaded if m.startswith("photofind.cli.commands.")}
        assert commands == {f"photofind.cli.commands.{name}"}, (args, commands)
        assert not {"numpy", "chromadb", "torch"} & {m.split(".")[0] for m in loaded}, args
        # plain values are converted without pydantic (photofind.cli.plain_values); `-k x` is Typer's
        assert ("pydantic" in loaded) == (args[-1] == "x"), args
        err = "".join(line + "\n" for line in run.stderr.splitlines() if not line.startswith("import time:"))
        served.append((run.returncode, run.stdout, err))
    assert server_pid(isolated_home) == pid
    cli(env, "serve", "--stop")
    wait_until(lambda: not alive(pid), timeout=60, what="the server to stop")
    for (_, args), (code, out, err) in zip(cases, served):
        here = cli(env, "--no-server", *args)
        if args[0] == "status":  # who answered differs, and Chroma's files change size as the server closes them
            served_status, own_status = json.loads(out), json.loads(here.stdout)
            assert served_status["daemon_pid"] == pid and own_status["daemon_pid"] is None
            unsettled = {"daemon_pid": None, "store_bytes": None}
            assert {**served_status, **unsettled} == {**own_status, **unsettled}
            continue
        assert (code, out, err) == (here.returncode, here.stdout, here.stderr), args
    assert "photofind like [OPTIONS]" in cli(env, "like", "--help").stdout


def test_no_server_never_uses_a_running_one(tmp_path: Path, isolated_home: Path, env: dict[str, str]) -> None:
    """--no-server means what its help says: with a server owning the store, the command opens
    the store itself and is told, in one line, who owns it (exit 2); no server is started either."""
    files = library(tmp_path / "photos", 3)
    assert cli(env, "index", str(tmp_path / "photos")).returncode == 0
    pid = server_pid(isolated_home)
    assert pid is not None
    refused = cli(env, "--no-server", "like", str(files[0]))
    assert refused.returncode == 2 and refused.stdout == "", refused
    assert f"(pid {pid})" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert cli(env, "like", str(files[0])).returncode == 0  # without the flag, the server answers
    cli(env, "serve", "--stop")
    wait_until(lambda: not alive(pid), timeout=60, what="the server to stop")
    assert cli(env, "--no-server", "like", str(files[0])).returncode == 0
    assert server_pid(isolated_home) is None and not StoreLock(isolated_home).is_held_elsewhere()


def test_a_combined_query_and_bare_paths_through_the_server(tmp_path: Path, isolated_home: Path,
                                                            env: dict[str, str]) -> None:
    """like a 2:b --not c, answered by the running server (which holds the store's lock), ranks
    as the formula says over the stored vectors; -f into a pipe prints those paths, in order."""
    from tests.cli.test_combined import expected, stored

    files = {f"p{i}": f for i, f in enumerate(library(tmp_path / "photos", 8))}
    assert cli(env, "index", str(tmp_path / "photos")).returncode == 0
    pid = server_pid(isolated_home)
    assert pid is not None
    args = ["like", str(files["p0"]), f"2:{files['p1']}", "--not", str(files["p2"]), "-k", "10"]
    served = cli(env, *args, "--json")
    piped = subprocess.run([PY, "-m", "photofind", *args, "-f"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=60)
    assert served.returncode == 0 and piped.returncode == 0 and piped.stderr == b"", piped.stderr
    assert server_pid(isolated_home) == pid  # still the owner: nothing else could have answered
    cli(env, "serve", "--stop")
    wait_until(lambda: not alive(pid), timeout=60, what="the server to stop")
    want = [str(files[name]) for name, _ in expected(stored(isolated_home, files), {"p0": 1, "p1": 2, "p2": -1})]
    data = json.loads(served.stdout)
    assert [m["path"] for m in data["matches"]] == want
    assert [(p["value"], p["weight"]) for p in data["parts"]] == [
        (str(files["p0"]), 1.0), (str(files["p1"]), 2.0), (str(files["p2"]), -1.0)]
    assert piped.stdout == "".join(p + "\n" for p in want).encode()
