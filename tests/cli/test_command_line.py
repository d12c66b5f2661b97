"""The command line, declared once (photofind/cli/app.py and one module per command): every
command in the table is reachable and documented, and a query's ranking is checked where it
is typed, before any server is started for it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from photofind.cli.app import COMMANDS, app
from photofind.store.lock import StoreLock
from tests.helpers.cli import run_here
from tests.helpers.images import library

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
    done = run_here("like", str(photos[0]), *args, env=env)
    assert done.returncode == 2 and done.stdout == "", done
    assert done.stderr.strip().splitlines() == [f"photofind: {done.stderr.strip().split(': ', 1)[1]}"]
    assert message in done.stderr
    assert not (isolated_home / "server.log").exists()
    assert not StoreLock(isolated_home).is_held_elsewhere()


PLAIN_VALUES = [(int, "10"), (int, "-3"), (int, "0"), (float, "0.25"), (float, "-1"), (float, "3"), (float, "-0.5"),
                (str, "a dog on the beach"), (str, ""), (Path, "rel/x.jpg"), (Path, "/abs/2:y.jpg"), (Path, ""),
                (Path, " x"), (int, 10), (float, 0.5), (str, "cosine")]  # paths: Typer's own path conversion, which needs no pydantic
LEFT_TO_TYPER = [(int, "1_000"), (int, " 7"), (int, "5.0"), (int, "+4"), (int, "٣"), (int, "0x10"), (int, "abc"),
                 (float, "1e-3"), (float, ".5"), (float, "infinity"), (float, "1_0.5")]


def typers_own(annotation: type, value: str) -> object:
    """What Typer's own (pydantic) conversion makes of `value`, or the error it raises."""
    import typer
    from typer._coercion import build_runtime_param, resolve_type_descriptor

    try:
        return build_runtime_param(resolve_type_descriptor(annotation, typer.Option(None)))._coerce_value(
            value, param=None, ctx=None)
    except Exception as exc:  # noqa: BLE001 - the error is the answer
        return type(exc)


@pytest.mark.parametrize("annotation, value", PLAIN_VALUES, ids=repr)
def test_plain_values_convert_as_typers_own_conversion_does(annotation: type, value: str) -> None:
    import typer

    from photofind.cli.plain_values import plain

    ok, mine = plain(annotation, typer.Option(None), value)
    assert ok
    theirs = typers_own(annotation, value)
    assert mine == theirs and type(mine) is type(theirs)


@pytest.mark.parametrize("annotation, value", LEFT_TO_TYPER, ids=repr)
def test_anything_else_is_left_to_typers_own_conversion(annotation: type, value: str) -> None:
    import typer

    from photofind.cli.plain_values import plain

    assert plain(annotation, typer.Option(None), value) == (False, None)


def test_values_typer_converts_still_reach_the_command(tmp_path: Path) -> None:
    """`-k 1_0` (pydantic reads 10) gets past parsing, as it did before; `-k x` is Typer's error."""
    missing = str(tmp_path / "missing.jpg")
    odd = runner.invoke(app, ["--no-server", "like", missing, "-k", "1_0"])
    assert odd.exit_code == 2 and "no index yet" in odd.stderr, odd.output  # past the parse
    bad = runner.invoke(app, ["--no-server", "like", missing, "-k", "x"])
    assert bad.exit_code == 2 and "Invalid value for '-k'" in bad.output, bad.output
