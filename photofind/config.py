"""Typed settings, resolved once: CLI flag > PHOTOFIND_* env var > config.toml > default.

The keys are declared once, in photofind.settings; this module derives from them the loader,
the env names, KEYS and the example config (`example_toml()`, which a test compares with
config.example.toml).
"""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
import tomllib
import typing
from pathlib import Path
from typing import Any, Mapping

from photofind.errors import ConfigError
from photofind.locations import default_config_path
from photofind.settings import Key, Settings


def _sections() -> dict[str, type]:
    """The nested settings tables, from Settings' own annotations."""
    hints = typing.get_type_hints(Settings)
    return {name: t for name, t in hints.items() if dataclasses.is_dataclass(t)}


def _declared() -> dict[str, Key]:
    found: dict[str, Key] = {}
    for f in dataclasses.fields(Settings):
        if "key" in f.metadata:
            found[f.name] = f.metadata["key"]
    for section, cls in _sections().items():
        for f in dataclasses.fields(cls):
            if "key" in f.metadata:
                found[f"{section}.{f.name}"] = f.metadata["key"]
    return found


KEYS: dict[str, Key] = _declared()


def env_name(dotted: str) -> str:
    return "PHOTOFIND_" + dotted.upper().replace(".", "_")


def _coerce(dotted: str, value: Any, origin: str) -> Any:
    spec = KEYS[dotted]
    try:
        if spec.kind is list:
            if isinstance(value, str):
                sep = os.pathsep if dotted == "roots" else ","
                value = [v.strip() for v in value.split(sep) if v.strip()]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError("expected a list of strings")
        elif spec.kind is bool:
            if isinstance(value, str):
                if value.lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError("expected true or false")
                value = value.lower() in ("1", "true", "yes", "on")
            elif not isinstance(value, bool):
                raise ValueError("expected true or false")
        elif spec.kind in (int, float):
            if isinstance(value, bool) or (spec.kind is int and isinstance(value, float)):
                raise ValueError(f"expected {'an integer' if spec.kind is int else 'a number'}")
            value = spec.kind(value)
            if value < spec.minimum:
                raise ValueError(f"expected a number >= {spec.minimum:g}")
        elif not isinstance(value, str):
            raise ValueError("expected a string")
    except ValueError as exc:
        raise ConfigError(f"{dotted} from {origin}: {exc} (got {value!r})") from None
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"{dotted} from {origin} must be one of {', '.join(spec.choices)} (got {value!r})")
    return spec.finish(value) if spec.finish else value


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in table.items():
        dotted = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            flat = _flatten(tomllib.load(fh))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(flat) - set(KEYS))
    if unknown:
        raise ConfigError(f"unknown key {unknown[0]!r} in {path}; see config.example.toml for the keys")
    return flat


def load(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Resolve every key. `flags` holds only the options the user actually gave (None = not given)."""
    env = os.environ if env is None else env
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    explicit_path = config_path or (Path(env["PHOTOFIND_CONFIG"]) if env.get("PHOTOFIND_CONFIG") else None)
    path = explicit_path or default_config_path()
    from_file: dict[str, Any] = {}
    if path.is_file():
        from_file = read_toml(path)
    elif explicit_path is not None:
        raise ConfigError(f"config file {path} does not exist")

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for dotted, spec in KEYS.items():
        names = [env_name(dotted)] + ([spec.env_alias] if spec.env_alias else [])
        env_hit = next((n for n in names if env.get(n)), None)
        if dotted in flags:
            raw, origin = flags[dotted], "the command line"
        elif env_hit:
            raw, origin = env[env_hit], env_hit
        elif dotted in from_file:
            raw, origin = from_file[dotted], str(path)
        else:
            raw, origin = spec.default, "default"
        values[dotted] = _coerce(dotted, raw, origin)
        sources[dotted] = origin

    tables = {
        section: cls(**{f.name: values[f"{section}.{f.name}"] for f in dataclasses.fields(cls) if "key" in f.metadata})
        for section, cls in _sections().items()
    }
    tables["model"] = dataclasses.replace(tables["model"], cache_dir=tables["store"].cache_dir)
    top = {name: values[name] for name in KEYS if "." not in name}
    return Settings(**top, **tables, config_path=path if path.is_file() else None, sources=sources)


EXAMPLE_HEADER = """\
# photofind configuration. Copy to ~/.config/photofind/config.toml (or point PHOTOFIND_CONFIG
# at a file) and edit. Every key is shown commented out, with its default value (or, for roots,
# an example): a copy changes nothing until you remove a "# " before a key. With no model
# named here, by flag or env, queries use the model the library was indexed with.
# Precedence: command-line flag > PHOTOFIND_* environment variable > this file > default.
# The environment variable of a key is PHOTOFIND_ + the key in capitals with dots as
# underscores, e.g. model.batch_size -> PHOTOFIND_MODEL_BATCH_SIZE.
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def example_toml() -> str:
    """config.example.toml, written from the declarations: every key, its help and its default,
    each key commented out."""
    lines = [EXAMPLE_HEADER]
    section = ""
    for dotted, spec in KEYS.items():
        table, _, name = dotted.rpartition(".")
        if table != section:
            lines.append(f"\n[{table}]")
            section = table
        lines += ["# " + line for line in textwrap.wrap(spec.help, 94)]
        # Commented out: a copied example must not add folders this machine lacks, nor pin a
        # model an offline user cannot download.
        lines.append(f"# {name} = {_toml_value(spec.example if spec.example is not None else spec.default)}")
    return "\n".join(lines) + "\n"
