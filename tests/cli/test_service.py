from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from photofind import systemd_unit as service
from photofind.cli.app import app
from photofind.systemd_unit import render_unit

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


class Recorder:
    """Stands in for systemctl: records the commands instead of stopping a service on this machine."""

    def __init__(self, returncode: int = 0, stderr: str = "") -> None:
        self.calls: list[list[str]] = []
        self.returncode, self.stderr = returncode, stderr

    def __call__(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        return subprocess.CompletedProcess(args, self.returncode, "", self.stderr)


def test_install_writes_a_unit_systemd_accepts_and_uninstall_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder()
    monkeypatch.setattr(service, "run_command", recorder)
    monkeypatch.setattr(service, "find_program", lambda name: f"/usr/bin/{name}")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("PHOTOFIND_MODEL", "effnet-lite0")
    res = runner.invoke(app, ["service", "install"])
    assert res.exit_code == 0, res.output
    unit = tmp_path / "cfg" / "systemd" / "user" / "photofind.service"
    text = unit.read_text()
    assert f'ExecStart="{Path(sys.executable).absolute()}" -m photofind watch' in text
    assert 'Environment="PHOTOFIND_MODEL=effnet-lite0"' in text
    assert "systemctl --user enable --now photofind" in res.stdout
    if shutil.which("systemd-analyze"):
        verify = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stderr
    res = runner.invoke(app, ["service", "uninstall"])
    assert res.exit_code == 0 and not unit.exists()
    assert recorder.calls == [["systemctl", "--user", "disable", "--now", "photofind.service"],
                              ["systemctl", "--user", "daemon-reload"]]
    assert "nothing to do" in runner.invoke(app, ["service", "uninstall"]).stdout
    assert len(recorder.calls) == 2  # nothing installed: systemctl is not asked again


def test_uninstall_reports_a_systemctl_failure_and_still_removes_the_unit(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    service.install(env=env, python="/usr/bin/python3")
    failing = Recorder(returncode=1, stderr="Failed to connect to bus: No medium found")
    path, note = service.uninstall(env, run=failing, which=lambda name: "/bin/" + name)
    assert path is not None and not path.exists()
    assert note == "systemctl could not stop it (Failed to connect to bus: No medium found)"


def test_uninstall_without_systemctl_runs_nothing(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    service.install(env=env, python="/usr/bin/python3")
    recorder = Recorder()
    path, note = service.uninstall(env, run=recorder, which=lambda name: None)
    assert path is not None and not path.exists() and note is None and recorder.calls == []


def test_unit_quotes_odd_paths_and_values() -> None:
    text = render_unit('/opt/my "py"/bin/python', {"PHOTOFIND_HOME": "/data/a b", "HOME": "/root"})
    assert 'ExecStart="/opt/my \\"py\\"/bin/python" -m photofind watch' in text
    assert 'Environment="PHOTOFIND_HOME=/data/a b"' in text and "HOME=/root" not in text


def test_scripts_template_is_what_install_writes() -> None:
    shipped = (REPO / "scripts" / "photofind.service").read_text()
    assert shipped == render_unit("/home/you/photofind/.venv/bin/python", {})
