from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from photofind.cli.app import app
from photofind.service import render_unit

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_install_writes_a_unit_systemd_accepts_and_uninstall_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    assert "nothing to do" in runner.invoke(app, ["service", "uninstall"]).stdout


def test_unit_quotes_odd_paths_and_values() -> None:
    text = render_unit('/opt/my "py"/bin/python', {"PHOTOFIND_HOME": "/data/a b", "HOME": "/root"})
    assert 'ExecStart="/opt/my \\"py\\"/bin/python" -m photofind watch' in text
    assert 'Environment="PHOTOFIND_HOME=/data/a b"' in text and "HOME=/root" not in text


def test_scripts_template_is_what_install_writes() -> None:
    shipped = (REPO / "scripts" / "photofind.service").read_text()
    assert shipped == render_unit("/home/you/photofind/.venv/bin/python", {})
