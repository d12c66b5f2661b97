"""The fast path: `like`, `search`, `status` and `dupes` parsed by plain click, without Typer.

Typer 0.29 coerces every parameter through a pydantic TypeAdapter, so `import typer` plus
pydantic cost more than the whole answer of a warm server (see the README, Performance). The
command line is still declared once, in Typer (photofind/cli/*_cmd.py): `lean_spec.json` is
generated from those declarations, and this module turns it into click options.

    .venv/bin/python -m photofind.cli.lean > photofind/cli/lean_spec.json

regenerates it; a test fails when it is stale, and at run time a spec whose recorded digest
of the declaring modules does not match their text is not used. Anything the fast path does
not handle as Typer would (--help, --version, a parse error, completion, an unknown verb)
returns None and Typer runs the command, so help, errors and exit codes stay Typer's own.
The parsed values go to the same typer-free bodies (photofind.cli.verbs) Typer calls."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

PACKAGE = Path(__file__).parents[1]
SPEC_FILE = Path(__file__).with_name("lean_spec.json")
# Where a declared default comes from, beyond the declaring modules (--max-distance's).
DEFAULT_SOURCES = ("dupes/__init__.py",)
# The verbs worth a fast path (a server answers them in milliseconds), and their bodies.
VERBS = {
    "like": "photofind.cli.verbs.like:like",
    "search": "photofind.cli.verbs.like:search",
    "status": "photofind.cli.verbs.status:status",
    "dupes": "photofind.cli.verbs.dupes:dupes",
}
OFF_ENV = "PHOTOFIND_FAST_PATH"  # "0": always parse with Typer (to compare, or to rule it out)
COMPLETION_ENV = "_PHOTOFIND_COMPLETE"  # Typer's shell completion: its own business


class SpecError(Exception):
    """A declaration the fast path cannot reproduce exactly: make it Typer-only or teach this module."""


# ---- generating the spec from the Typer declarations (imports Typer; run by developers) ----

def _kind(annotation: Any) -> tuple[str, bool]:
    """(value kind, is a list) of a parameter annotation, Optional stripped."""
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        rest = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(rest) != 1:
            raise SpecError(f"union {annotation!r}")
        return _kind(rest[0])
    if origin in (list, typing.List):  # noqa: UP006
        kind, nested = _kind(typing.get_args(annotation)[0])
        if nested:
            raise SpecError(f"nested list {annotation!r}")
        return kind, True
    kinds = {bool: "bool", int: "int", float: "float", str: "str", Path: "path"}
    if annotation not in kinds:
        raise SpecError(f"type {annotation!r}")
    return kinds[annotation], False


def _declaration_files(callbacks: list[Callable[..., Any]]) -> list[str]:
    """The modules whose text defines these commands (package-relative): the declaring modules,
    the shared options, the root callback's module and where defaults come from."""
    names = {Path(sys.modules[cb.__module__].__file__ or "").relative_to(PACKAGE).as_posix() for cb in callbacks}
    return sorted(names | {"cli/options.py", "cli/app.py", *DEFAULT_SOURCES})


def digest(files: list[str]) -> str:
    h = hashlib.sha256()
    for name in files:
        h.update(name.encode() + b"\0" + (PACKAGE / name).read_bytes() + b"\0")
    return h.hexdigest()


# Declaration settings that change what Typer accepts or hands over (checks, conversions,
# prompts): the fast path reproduces none of them, so a parameter using one is refused.
SEMANTIC = ("allow_dash", "atomic", "callback", "case_sensitive", "clamp", "count", "default_factory", "dir_okay",
            "encoding", "envvar", "errors", "exists", "file_okay", "formats", "lazy", "max", "min", "mode",
            "parser", "path_type", "prompt", "readable", "resolve_path", "writable")


def _plain(name: str, declared: Any) -> None:
    """Raise SpecError when the typer.Option/Argument behind `name` sets any SEMANTIC setting."""
    import typer

    fresh = typer.Argument(None) if type(declared).__name__ == "ArgumentInfo" else typer.Option(None)
    odd = [k for k in SEMANTIC if getattr(declared, k, None) != getattr(fresh, k, None)]
    if odd:
        raise SpecError(f"{name}: {', '.join(odd)} are Typer-only")


def _param_spec(param: Any, annotation: Any) -> dict[str, Any]:
    kind, is_list = _kind(annotation)
    if param.param_type_name == "option":
        if len(param.secondary_opts) > 1 or param.count or param.prompt or param.envvar or param.callback:
            raise SpecError(f"option {param.name}: counts, prompts, env vars and callbacks are Typer-only")
    if getattr(param, "min", None) is not None or getattr(param, "max", None) is not None:
        raise SpecError(f"{param.name}: ranges are Typer-only")
    default = param.default
    if default is not None and not isinstance(default, (bool, int, float, str, list, tuple)):
        raise SpecError(f"{param.name}: default {default!r}")
    return {
        "name": param.name,
        "param": param.param_type_name,
        "opts": list(param.opts),
        "secondary_opts": list(param.secondary_opts),
        "kind": kind,
        "list": is_list,
        "flag": bool(getattr(param, "is_flag", False)),
        "nargs": param.nargs,
        "multiple": bool(param.multiple),
        "required": bool(param.required),
        "default": list(default) if isinstance(default, tuple) else default,
    }


def generate() -> dict[str, Any]:
    """The spec of the root options and the fast verbs, read from Typer's own click command."""
    import typing

    import typer.main

    from photofind.cli.app import app

    group = typer.main.get_command(app)
    callbacks = {info.name: info.callback for info in app.registered_commands}
    root_callback = app.registered_callback.callback  # type: ignore[union-attr]

    def params_of(command: Any, callback: Callable[..., Any]) -> list[dict[str, Any]]:
        import inspect

        hints = typing.get_type_hints(callback)
        declared = inspect.signature(callback).parameters
        # --help, --version and Typer's completion options print and exit: left out, so a command
        # line with one of them fails the lean parse and falls through to Typer.
        params = [p for p in command.params if p.name in hints and p.name != "ctx" and not p.is_eager]
        for p in params:
            _plain(p.name, declared[p.name].default)
        return [_param_spec(p, hints[p.name]) for p in params]

    commands = {name: params_of(group.commands[name], callbacks[name]) for name in VERBS}
    files = _declaration_files([callbacks[name] for name in VERBS] + [root_callback])
    return {"files": files, "digest": digest(files), "root": params_of(group, root_callback), "commands": commands}


# ---- using it (no Typer, no pydantic) ----

def load_spec() -> dict[str, Any] | None:
    """The spec, or None when it is missing or older than the declarations."""
    try:
        spec = json.loads(SPEC_FILE.read_text())
        return spec if spec["digest"] == digest(spec["files"]) else None
    except (OSError, ValueError, KeyError):
        return None


# Numbers as plain ASCII digits only: Python's int() and float() also take "٣" or "infinity",
# which pydantic (Typer's coercion) may judge otherwise; anything unusual goes to Typer.
DIGITS = r"\d+(?:_\d+)*"  # 1_000 as Python and pydantic read it; never a leading, trailing or double _
NUMBERS = {"int": (int, rf"[+-]?{DIGITS}"), "float": (float, rf"[+-]?(?:{DIGITS})?(?:\.{DIGITS})?(?:[eE][+-]?\d+)?")}


def _number(kind: str) -> Any:
    import re

    import click

    to, pattern = NUMBERS[kind]
    plain = re.compile(pattern, re.ASCII)

    class Number(click.ParamType):
        name = kind

        def convert(self, value: Any, param: Any, ctx: Any) -> Any:
            text = str(value).strip()
            if not plain.fullmatch(text) or not any(c.isdigit() for c in text):
                self.fail(f"{value!r} is not a plain {kind}", param, ctx)
            try:
                return to(text)
            except ValueError:  # whatever the pattern let through that Python does not take
                self.fail(f"{value!r} is not a plain {kind}", param, ctx)

    return Number()


def _click_param(p: dict[str, Any]) -> Any:
    import click

    types = {"int": _number("int"), "float": _number("float"), "str": click.STRING, "path": click.STRING}
    decls = [p["name"], *p["opts"]]
    if p["secondary_opts"]:
        decls[-1] = f"{decls[-1]}/{p['secondary_opts'][0]}"
    # click 8.3+ takes an explicit default=None as a value: a required parameter gets none.
    default = {} if p["required"] else {"default": p["default"]}
    if p["param"] == "argument":
        return click.Argument(decls[:1], type=types[p["kind"]], nargs=p["nargs"], required=p["required"], **default)
    if p["flag"]:
        return click.Option(decls, is_flag=True, **default)
    return click.Option(decls, type=types[p["kind"]], multiple=p["multiple"], nargs=p["nargs"],
                        required=p["required"], **default)


def _values(specs: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """click's values as the declared Python types (Typer hands the bodies Path objects, lists)."""
    out = {}
    for p in specs:
        value = params[p["name"]]
        if (p["multiple"] or p["nargs"] == -1) and value is not None and len(value) == 0 and p["default"] is None:
            value = None  # as Typer's _normalize_collection_value: nothing repeated, no default -> None
        if p["kind"] == "path" and value is not None:
            value = [Path(v) for v in value] if p["list"] else Path(value)
        elif p["list"] and value is not None:
            value = list(value)
        out[p["name"]] = value
    return out


def parse(spec: dict[str, Any], argv: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    """(verb, root options, verb options) as Typer would parse them, or None for anything else."""
    import click

    root = click.Command("photofind", add_help_option=False, context_settings={"allow_interspersed_args": False},
                         params=[*map(_click_param, spec["root"]), click.Argument(["rest"], nargs=-1)])
    try:
        with root.make_context("photofind", list(argv)) as root_ctx:
            rest = list(root_ctx.params["rest"])
            if not rest or rest[0] not in spec["commands"]:
                return None
            verb_specs = spec["commands"][rest[0]]
            command = click.Command(rest[0], add_help_option=False, params=[_click_param(p) for p in verb_specs])
            with command.make_context(rest[0], rest[1:], parent=root_ctx) as ctx:
                return rest[0], _values(spec["root"], root_ctx.params), _values(verb_specs, ctx.params)
    except click.ClickException:
        return None  # Typer parses it again and prints its own message


def run(argv: list[str]) -> bool:
    """Run the command here if the fast path can; False: leave it to Typer. A command it runs
    ends like any other (SystemExit with its code on errors)."""
    if os.environ.get(OFF_ENV) == "0" or COMPLETION_ENV in os.environ or not VERBS.keys() & set(argv):
        return False  # (the last: `index`, `watch`... do not pay for importing click twice)
    spec = load_spec()
    parsed = parse(spec, argv) if spec is not None else None
    if parsed is None:
        return False
    verb, root, params = parsed
    from photofind.cli.common import GlobalOptions, RootContext, show_core_warnings

    show_core_warnings()
    module, name = VERBS[verb].split(":")
    body = getattr(importlib.import_module(module), name)
    body(ctx=RootContext(GlobalOptions(root["config_file"], root["data_dir"], root["debug"], root["no_server"])),
         **params)
    return True


if __name__ == "__main__":
    print(json.dumps(generate(), indent=1))
