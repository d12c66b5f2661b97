"""Where photofind keeps things by default (the platform's config, cache and data dirs), in a
leaf module: the settings declare them as defaults, and the embedders find their export cache
here without importing the settings."""

from __future__ import annotations

from pathlib import Path


def default_config_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("photofind")) / "config.toml"


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("photofind"))


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("photofind"))
