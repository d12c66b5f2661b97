from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from photofind import config
from photofind.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def test_precedence_flag_over_env_over_file_over_default(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[model]\nname = "pixel"\nbatch_size = 8\ndevice = "cpu"\n')
    env = {"PHOTOFIND_MODEL_BATCH_SIZE": "16", "PHOTOFIND_MODEL_DEVICE": "cpu"}
    s = config.load(flags={"model.batch_size": 4}, env=env, config_path=cfg)
    assert s.model.batch_size == 4 and s.sources["model.batch_size"] == "the command line"
    s = config.load(flags={"model.batch_size": None}, env=env, config_path=cfg)
    assert s.model.batch_size == 16 and s.sources["model.batch_size"] == "PHOTOFIND_MODEL_BATCH_SIZE"
    s = config.load(env={}, config_path=cfg)
    assert (s.model.batch_size, s.model.name) == (8, "pixel")
    s = config.load(env={}, config_path=write(tmp_path, ""))
    assert (s.model.batch_size, s.model.name, s.index.space) == (32, "clip", "cosine")


def test_env_aliases_and_lists(tmp_path: Path) -> None:
    env = {"PHOTOFIND_HOME": str(tmp_path / "h"), "PHOTOFIND_MODEL": "effnet-lite0",
           "PHOTOFIND_EXTENSIONS": "jpg, .PNG", "PHOTOFIND_ROOTS": f"{tmp_path}/a:{tmp_path}/b"}
    s = config.load(env=env)
    assert s.store.data_dir == (tmp_path / "h").resolve()
    assert s.model.name == "effnet-lite0"
    assert s.extensions == (".jpg", ".png")
    assert s.roots == ((tmp_path / "a").resolve(), (tmp_path / "b").resolve())


def test_default_config_file_is_read_from_xdg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "photofind").mkdir()
    (tmp_path / "photofind" / "config.toml").write_text('[index]\nspace = "l2"\n')
    assert config.load(env={}).index.space == "l2"


@pytest.mark.parametrize(
    "text, needle",
    [
        ('[model]\nbatch_size = "many"\n', "model.batch_size"),
        ('[index]\nspace = "manhattan"\n', "index.space"),
        ('[model]\ncolour = 1\n', "unknown key 'model.colour'"),
        ("roots = 3\n", "roots"),
        ("this is not toml", "not valid TOML"),
        ('[model]\nbatch_size = 0\n', "batch_size"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")):
        config.load(env={}, config_path=write(tmp_path, text))


def test_bad_env_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="PHOTOFIND_MODEL_DEVICE"):
        config.load(env={"PHOTOFIND_MODEL_DEVICE": "tpu"})


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        config.load(env={"PHOTOFIND_CONFIG": str(tmp_path / "nope.toml")})


def test_example_config_is_written_from_the_declarations() -> None:
    """config.example.toml is what example_toml() renders from the declared keys (regenerate with
    `python -c "from photofind.config import example_toml; print(example_toml(), end='')" > config.example.toml`),
    and the loader reads it back to every key's default."""
    example = REPO / "config.example.toml"
    assert example.read_text() == config.example_toml()
    assert config.read_toml(example) == {}  # as shipped, every key is a comment: a copy changes nothing
    text = re.sub(r"(?m)^# (\w+ = )", r"\1", example.read_text())
    flat = config._flatten(tomllib.loads(text))
    assert set(flat) <= set(config.KEYS)  # the loader knows every key shown
    assert set(flat) == set(config.KEYS)
    for key, value in flat.items():
        if key != "roots":  # the example shows two sample folders
            assert value == config.KEYS[key].default, key


def test_settings_objects_carry_every_declared_key(tmp_path: Path) -> None:
    s = config.load(env={"PHOTOFIND_INDEX_WORKERS": "3", "PHOTOFIND_STORE_URL": "http://h:1"},
                    config_path=write(tmp_path, '[watch]\npolling = true\n'))
    assert (s.index.workers, s.store.url, s.watch.polling) == (3, "http://h:1", True)
    for dotted in config.KEYS:
        obj = s
        for part in dotted.split("."):
            obj = getattr(obj, part)  # every key lands on the typed object under its own name
