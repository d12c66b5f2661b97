"""Plain option values converted without pydantic: a start-up saving, not a second parser.

Typer 0.29 converts every parameter's value (after click has parsed the command line) through a
pydantic TypeAdapter, and importing pydantic to do so costs more than a warm server's whole
answer to `photofind like` (docs/performance.md). Most values people type are plain: a path, a
word, `-k 10`, `--min-score 0.25`. For those, the conversion is Python's own and gives exactly
what pydantic gives; anything else (`1_000`, ` 7`, `5.0` for an int, `1e-3`)
goes to Typer's own pydantic conversion, unchanged, so its results and error messages stay
Typer's. Paths go through Typer's own path conversion, which needs no pydantic. tests/cli/test_command_line.py checks both agree on a list of values.

This uses two private names of Typer (`typer._coercion.RuntimeParam`, `_TyperParameter.
_runtime_param`). If a Typer release renames them, `install` does nothing and every value
takes Typer's own path: slower to start, never wrong."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args, get_origin

PLAIN = {
    int: re.compile(r"-?(?:0|[1-9][0-9]{0,17})", re.ASCII),
    float: re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?", re.ASCII),
}


def plain(annotation: Any, info: Any, value: Any, param: Any = None, ctx: Any = None) -> tuple[bool, Any]:
    """(True, the converted value) when `value` is plain for `annotation`, else (False, None).
    A path goes through Typer's own path conversion (its checks included), which needs no pydantic."""
    if annotation in (int, float, str) and type(value) is annotation:  # a declared default, as is
        return (True, value) if annotation is str or PLAIN[annotation].fullmatch(str(value)) else (False, None)
    if not isinstance(value, str):
        return False, None
    if annotation is str:
        return True, value
    if annotation is Path and getattr(info, "path_type", None) is None:  # as Typer's path adapter does
        from typer._param_types import coerce_cli_path

        return True, coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
    pattern = PLAIN.get(annotation)
    if pattern is not None and info.min is None and info.max is None and pattern.fullmatch(value):
        return True, annotation(value)
    return False, None


def install(command: Any, ctx: Any = None) -> None:
    """Give each of `command`'s parameters the plain conversion, falling back to Typer's; with
    `ctx`, also the ones click adds as it parses (--help, the completion options)."""
    try:
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:
        return

    class PlainOrTyper(RuntimeParam):  # type: ignore[misc, valid-type]
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation = self.annotation
            if get_origin(annotation) is list and isinstance(value, (list, tuple)):
                (item,) = get_args(annotation)
                done = [plain(item, self.parameter_info, v, param, ctx) for v in value]
                if all(ok for ok, _ in done):
                    return [v for _, v in done]
            else:
                ok, converted = plain(annotation, self.parameter_info, value, param, ctx)
                if ok:
                    return converted
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx)

    for param in command.get_params(ctx) if ctx is not None else getattr(command, "params", ()):
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or not hasattr(param, "_runtime_param") or param._runtime_param is not None:
            continue
        if descriptor.file_annotation is not None:
            continue  # typer.FileText and friends open files: Typer's own business
        info = descriptor.parameter_info
        if getattr(info, "parser", None) is not None:
            continue
        param._runtime_param = PlainOrTyper(parameter_info=info, annotation=descriptor.annotation)
