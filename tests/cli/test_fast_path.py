"""The fast path (photofind.cli.lean) parses exactly as Typer does, or not at all.

Both paths end in the same typer-free bodies (photofind.cli.verbs): each test records what a
body receives when Typer parses a command line and when the fast path does, and compares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from photofind.cli import lean
from photofind.cli.app import app
from photofind.cli.common import global_options
from photofind.cli.verbs import dupes, like, status

BODIES = {"like": (like, "like"), "search": (like, "search"), "status": (status, "status"), "dupes": (dupes, "dupes")}


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Replaces every body with a recorder of (verb, global options + arguments)."""
    calls: list[tuple[str, dict[str, Any]]] = []
    for verb, (module, name) in BODIES.items():
        def record(ctx: Any, _verb: str = verb, **params: Any) -> None:
            calls.append((_verb, {"globals": global_options(ctx), **params}))
        monkeypatch.setattr(module, name, record)
    return calls


def test_the_spec_is_generated_from_the_current_declarations() -> None:
    spec = json.loads(lean.SPEC_FILE.read_text())
    assert spec == lean.generate(), "stale: python -m photofind.cli.lean > photofind/cli/lean_spec.json"
    assert lean.load_spec() == spec


def test_a_spec_older_than_the_declarations_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = json.loads(lean.SPEC_FILE.read_text())
    stale["digest"] = "0" * 64  # what a spec made before an option changed carries
    monkeypatch.setattr(lean, "SPEC_FILE", tmp_path / "spec.json")
    (tmp_path / "spec.json").write_text(json.dumps(stale))
    assert lean.load_spec() is None
    assert lean.run(["status"]) is False  # Typer parses it


PARSED_ALIKE = [
    ["like", "a.jpg"],
    ["--data-dir", "/tmp/x", "--no-server", "--debug", "--config", "c.toml", "like", "dir/a.jpg", "-k", "3",
     "--metric", "l1", "--exact", "--since", "2020-01-01", "--until", "2021-02-03T04:05", "--in", "rel/dir",
     "--min-score", "0.5", "--html", "g.html", "--grid", "g.png", "--open", "--preview", "-m", "pixel",
     "--device", "cpu", "--json"],
    ["like", "-k5", "a.jpg", "--top=7"],  # clustered short option, --opt=value, the last one wins
    ["like", "a.jpg", "--min-score", "-0.25"],  # a negative number is a value, not an option
    ["like", "--", "-odd name.jpg"],
    ["search", "a dog on the beach", "-k", "2", "--metric", "l2", "--in", "/p"],
    ["status"],
    ["status", "--json", "--model", "effnet-lite0"],
    ["--no-server", "dupes"],
    ["dupes", "--exact-only", "--max-distance", "12", "--loose", "--json"],
    ["dupes", "--near"],
    ["like", "a.jpg", "-k", " 4"],
    ["like", "a.jpg", "--min-score", "1e-3"],
    ["like", "a.jpg", "-k", "1_000", "--min-score", "+.5"],
    # combined queries and --paths: several arguments, repeated options, weights, clustered -f
    ["like", "a.jpg", "b.jpg"],
    ["like", "a.jpg", "2:b.jpg", "--not", "c.jpg", "-k", "2", "--not", "0.5:d e.jpg", "c:/x.jpg", "-f"],
    ["like", "-fk3", "a.jpg", "--not=c.jpg"],
    ["like", "--paths", "--", "-odd.jpg", "2:./b.jpg"],
    ["search", "beach at sunset", "--like", "a.jpg", "--like", "2:b.jpg", "--not", "c.jpg", "--paths"],
    ["search", "beach", "-f", "--not", "c.jpg"],
]


@pytest.mark.parametrize("argv", PARSED_ALIKE, ids=" ".join)
def test_the_fast_path_hands_the_body_what_typer_does(argv: list[str], recorded: list) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    assert lean.run(argv) is True
    assert len(recorded) == 2
    (typer_verb, typer_args), (lean_verb, lean_args) = recorded
    assert lean_verb == typer_verb == argv[[a in BODIES for a in argv].index(True)]
    assert lean_args == typer_args
    assert {k: type(v) for k, v in lean_args.items()} == {k: type(v) for k, v in typer_args.items()}


LEFT_TO_TYPER = [
    [], ["--help"], ["--version"], ["like"], ["like", "--help"], ["like", "--not", "c.jpg"], ["like", "a.jpg", "--not"],
    ["search", "--like", "a.jpg"],
    ["like", "a.jpg", "-k", "three"], ["like", "a.jpg", "-k", "1.5"], ["like", "a.jpg", "--nope"],
    ["like", "a.jpg", "-k"], ["index", "x"], ["eval"], ["--show-completion", "bash"], ["nosuchverb"],
    ["like", "a.jpg", "-k", "0x10"], ["like", "a.jpg", "-k", "٣"], ["like", "a.jpg", "--min-score", "infinity"],
    ["like", "a.jpg", "-k", "1_"], ["like", "a.jpg", "--min-score", "1__0"], ["like", "a.jpg", "--min-score", "_1"],
]


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=lambda a: " ".join(a) or "(none)")
def test_anything_else_is_left_to_typer(argv: list[str], recorded: list) -> None:
    assert lean.run(argv) is False
    assert recorded == []


def test_the_spec_refuses_declarations_it_cannot_reproduce() -> None:
    import typer

    lean._plain("plain", typer.Option(3, "-x", "--xs", help="shown in --help only", show_default=False))
    for checked in (typer.Option(None, "--p", exists=True), typer.Argument(..., resolve_path=True),
                    typer.Option(1, "--n", min=0), typer.Option("a", "--c", case_sensitive=False),
                    typer.Option(None, "--e", envvar="X")):
        with pytest.raises(lean.SpecError):
            lean._plain("checked", checked)


def test_it_can_be_switched_off(monkeypatch: pytest.MonkeyPatch, recorded: list) -> None:
    monkeypatch.setenv(lean.OFF_ENV, "0")
    assert lean.run(["status"]) is False
    monkeypatch.setenv(lean.OFF_ENV, "1")
    assert lean.run(["status"]) is True and len(recorded) == 1
