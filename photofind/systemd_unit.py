"""The systemd user unit that runs `photofind watch` in the background."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Callable, Mapping, Sequence

UNIT_NAME = "photofind.service"
UNIT_TEMPLATE = Template("""\
# Written by `photofind service install`; remove with `photofind service uninstall`.
[Unit]
Description=photofind: keep the photo index in step with the photo folders
After=default.target

[Service]
Type=simple
ExecStart=$exec_start
$environment
# SIGTERM lets photofind finish the batch in flight and exit 0.
KillSignal=SIGTERM
TimeoutStopSec=120
Restart=on-failure
RestartSec=10
# Indexing is background work: leave the CPU and disk to whatever the user is doing.
Nice=10
IOSchedulingClass=idle

[Install]
WantedBy=default.target
""")
ENABLE_LINE = "systemctl --user daemon-reload && systemctl --user enable --now photofind"


def unit_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    return base / "systemd" / "user" / UNIT_NAME


def _quote(arg: str) -> str:
    """systemd's ExecStart/Environment quoting: double quotes, with \\ and " escaped."""
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_unit(python: str, env: Mapping[str, str]) -> str:
    """The unit for this interpreter, carrying the PHOTOFIND_* settings of `env`."""
    carried = sorted((k, v) for k, v in env.items() if k.startswith("PHOTOFIND_"))
    environment = "\n".join(f"Environment={_quote(f'{k}={v}')}" for k, v in carried)
    return UNIT_TEMPLATE.substitute(
        exec_start=f"{_quote(python)} -m photofind watch", environment=environment
    ).replace("\n\n# SIGTERM", "\n# SIGTERM")


@dataclass(frozen=True)
class InstallResult:
    path: Path
    replaced: bool


def install(env: Mapping[str, str] | None = None, python: str | None = None) -> InstallResult:
    env = os.environ if env is None else env
    path = unit_path(env)
    replaced = path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_unit(python or str(Path(sys.executable).absolute()), env))
    return InstallResult(path, replaced)


Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(args: Sequence[str]) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60)


def find_program(name: str) -> str | None:
    return shutil.which(name)


def uninstall(
    env: Mapping[str, str] | None = None, *, run: Runner | None = None, which: Callable[[str], str | None] | None = None
) -> tuple[Path | None, str | None]:
    """Stop and disable the unit where systemctl can, then remove the file.
    Returns (removed path or None, a note about systemctl or None). `run` and `which` default
    to the real ones; tests pass recorders, so the suite never stops a service on the host."""
    run = run or run_command
    has_systemctl = bool((which or find_program)("systemctl"))
    path = unit_path(env)
    if not path.exists():
        return None, None
    note = None
    if has_systemctl:
        done = run(["systemctl", "--user", "disable", "--now", UNIT_NAME])
        if done.returncode != 0:
            note = f"systemctl could not stop it ({done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode})"
    path.unlink()
    if has_systemctl:
        run(["systemctl", "--user", "daemon-reload"])
    return path, note
