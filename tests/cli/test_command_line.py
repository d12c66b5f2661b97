"""The command line, declared once (photofind/cli/app.py and one module per command): every
command in the table is reachable and documented, and a query's ranking is checked where it
is typed, before any server is started for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from photofind.cli.app import COMMANDS, app
from photofind.store.lock import StoreLock
from tests.helpers.images import library

PY = sys.executable
runner = CliRunner()


def test_every_command_in_the_table_is_listed_and_has_help() -> None:
    listed = runner.invoke(app, ["--help"])
    assert listed.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in listed.output, name
        own = runner.invoke(app, [name, "--help"])
        assert own.exit_code == 0 and f"photofind {name} [OPTIONS]" in own.output, (name, own.output)
    assert runner.invoke(app, ["nosuchcommand"]).exit_code == 2


def test_each_command_module_holds_its_declaration_and_body() -> None:
    """One module per command: its `app` declares exactly that one command (service: its two)."""
    import importlib

    import typer.main

    for name, module in COMMANDS.items():
        command = typer.main.get_command(importlib.import_module(f"photofind.cli.commands.{module}").app)
        assert command.name in (name, "eval", None) or hasattr(command, "commands"), (name, command.name)
        assert command.params or hasattr(command, "commands"), name


@pytest.mark.parametrize("args, message", [
    (["-k", "0"], "-k must be at least 1"),
    (["-k", "-3"], "-k must be at least 1"),
    (["--metric", "hamming"], "unknown metric 'hamming'"),
])
def test_a_bad_ranking_fails_before_any_server_starts(tmp_path: Path, isolated_home: Path, args: list[str],
                                                      message: str) -> None:
    """A store to serve and servers switched on: a query that cannot run says why in one line
    (exit 2) and starts nothing (no server log, the store's lock free)."""
    photos = library(tmp_path / "photos", 2)
    assert runner.invoke(app, ["--no-server", "index", str(tmp_path / "photos"), "-m", "pixel"]).exit_code == 0
    env = {**os.environ, "PHOTOFIND_SERVER_AUTOSTART": "true", "PHOTOFIND_MODEL": "pixel"}
    done = subprocess.run([PY, "-m", "photofind", "like", str(photos[0]), *args], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr.strip().splitlines() == [f"photofind: {done.stderr.strip().split(': ', 1)[1]}"]
    assert message in done.stderr
    assert not (isolated_home / "server.log").exists()
    assert not StoreLock(isolated_home).is_held_elsewhere()
