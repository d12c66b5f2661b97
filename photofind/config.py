"""Typed settings, resolved once: CLI flag > PHOTOFIND_* env var > config.toml > default.

Every key lives in KEYS with its type and default, so the loader, the env names and
config.example.toml cannot drift apart (a test checks the example against KEYS).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from photofind.errors import ConfigError

DEFAULT_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif",
)
# Hidden folders, and the trash/thumbnail folders NAS boxes and OSes sprinkle into photo trees.
DEFAULT_EXCLUDE = (".*", "@eaDir", "#recycle", "$RECYCLE.BIN", "Thumbs.db")
SPACES = ("cosine", "l2", "ip")
MODEL_NAMES = ("clip", "effnet-lite0", "pixel")  # built by photofind.embedders.create_embedder
DEVICES = ("auto", "cpu", "cuda")
RUNTIMES = ("onnx", "torch")  # onnx: exported once from torch, then run by ONNX Runtime


@dataclass(frozen=True)
class Key:
    kind: type  # str, int, float, bool or list
    default: Any
    choices: tuple[str, ...] = ()
    env_alias: str | None = None


KEYS: dict[str, Key] = {
    "roots": Key(list, []),
    "exclude": Key(list, list(DEFAULT_EXCLUDE)),
    "extensions": Key(list, list(DEFAULT_EXTENSIONS)),
    "model.name": Key(str, "clip", env_alias="PHOTOFIND_MODEL"),
    "model.clip_model": Key(str, "ViT-B-32"),
    "model.pretrained": Key(str, "laion2b_s34b_b79k"),
    "model.checkpoint": Key(str, ""),
    "model.clip_config": Key(str, ""),
    "model.device": Key(str, "auto", choices=DEVICES),
    "model.batch_size": Key(int, 32),
    "model.quantize": Key(bool, False),
    "model.runtime": Key(str, "onnx", choices=RUNTIMES),
    "index.space": Key(str, "cosine", choices=SPACES),
    "index.workers": Key(int, 0),
    "index.max_pixels": Key(int, 200_000_000),
    "store.data_dir": Key(str, "", env_alias="PHOTOFIND_HOME"),
    "store.cache_dir": Key(str, ""),
    "store.url": Key(str, ""),
    "watch.settle_seconds": Key(float, 2.0),
    "watch.rescan_minutes": Key(float, 60.0),
    "watch.polling": Key(bool, False),
    "watch.poll_seconds": Key(float, 2.0),
}


def replace_model(model: "ModelSettings", name: str) -> "ModelSettings":
    return replace(model, name=name)


def env_name(key: str) -> str:
    return "PHOTOFIND_" + key.upper().replace(".", "_")


@dataclass(frozen=True)
class ModelSettings:
    name: str
    clip_model: str
    pretrained: str
    checkpoint: str
    clip_config: str
    device: str
    batch_size: int
    quantize: bool = False
    runtime: str = "onnx"
    # Where ONNX exports are cached (Settings.cache_dir); carried here so every create_embedder
    # call honours store.cache_dir. None: the platform cache dir.
    cache_dir: Path | None = None


@dataclass(frozen=True)
class WatchSettings:
    settle_seconds: float
    rescan_minutes: float
    polling: bool
    poll_seconds: float


@dataclass(frozen=True)
class Settings:
    roots: tuple[Path, ...]
    exclude: tuple[str, ...]
    extensions: tuple[str, ...]
    model: ModelSettings
    space: str
    workers: int
    max_pixels: int
    data_dir: Path
    cache_dir: Path
    watch: WatchSettings
    store_url: str
    config_path: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # key -> where its value came from



def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("photofind")) / "config.toml"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("photofind"))


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("photofind"))


def _coerce(key: str, value: Any, origin: str) -> Any:
    spec = KEYS[key]
    try:
        if spec.kind is list:
            if isinstance(value, str):
                sep = os.pathsep if key == "roots" else ","
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
            if value < 0:
                raise ValueError("expected a number >= 0")
        else:
            if not isinstance(value, str):
                raise ValueError("expected a string")
    except ValueError as exc:
        raise ConfigError(f"{key} from {origin}: {exc} (got {value!r})") from None
    if spec.choices and value not in spec.choices:
        raise ConfigError(f"{key} from {origin} must be one of {', '.join(spec.choices)} (got {value!r})")
    return value


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
    for key, spec in KEYS.items():
        names = [env_name(key)] + ([spec.env_alias] if spec.env_alias else [])
        env_hit = next((n for n in names if env.get(n)), None)
        if key in flags:
            raw, origin = flags[key], "the command line"
        elif env_hit:
            raw, origin = env[env_hit], env_hit
        elif key in from_file:
            raw, origin = from_file[key], str(path)
        else:
            raw, origin = spec.default, "default"
        values[key] = _coerce(key, raw, origin)
        sources[key] = origin

    if values["model.batch_size"] < 1:
        raise ConfigError("model.batch_size must be at least 1")
    data_dir = Path(values["store.data_dir"]).expanduser() if values["store.data_dir"] else default_data_dir()
    cache_dir = (Path(values["store.cache_dir"]).expanduser() if values["store.cache_dir"] else default_cache_dir()).resolve()
    return Settings(
        roots=tuple(Path(r).expanduser().resolve() for r in values["roots"]),
        exclude=tuple(values["exclude"]),
        extensions=tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in values["extensions"]),
        model=ModelSettings(
            name=values["model.name"],
            clip_model=values["model.clip_model"],
            pretrained=values["model.pretrained"],
            checkpoint=values["model.checkpoint"],
            clip_config=values["model.clip_config"],
            device=values["model.device"],
            batch_size=values["model.batch_size"],
            quantize=values["model.quantize"],
            runtime=values["model.runtime"],
            cache_dir=cache_dir,
        ),
        space=values["index.space"],
        workers=values["index.workers"] or min(4, os.cpu_count() or 1),
        max_pixels=values["index.max_pixels"],
        data_dir=data_dir.resolve(),
        cache_dir=cache_dir,
        store_url=values["store.url"],
        watch=WatchSettings(
            settle_seconds=values["watch.settle_seconds"],
            rescan_minutes=values["watch.rescan_minutes"],
            polling=values["watch.polling"],
            poll_seconds=values["watch.poll_seconds"],
        ),
        config_path=path if path.is_file() else None,
        sources=sources,
    )
