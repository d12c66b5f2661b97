"""Shell completion, for real: bash sources the script `photofind --show-completion bash`
prints and asks the installed command for candidates, as it does at a prompt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PHOTOFIND = Path(sys.executable).with_name("photofind")  # the console script pip installed

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not PHOTOFIND.exists() or not shutil.which("bash"),
                                reason="needs the installed photofind script and bash")]


def complete(words: str) -> list[str]:
    """COMPREPLY for a command line typed up to its end (the last word being completed)."""
    script = subprocess.run([str(PHOTOFIND), "--show-completion", "bash"], capture_output=True, text=True,
                            check=True).stdout
    line = (f'{script}\nCOMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n'
            '_photofind_completion photofind\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    env = {**os.environ, "PATH": f"{PHOTOFIND.parent}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env, check=True).stdout.split()


def test_bash_completes_commands_and_options() -> None:
    assert complete("photofind li") == ["like"]
    assert sorted(complete("photofind s")) == ["search", "serve", "service", "status"]
    assert {"--exact-only", "--max-distance", "--loose", "--json"} <= set(complete("photofind dupes --"))
    assert "--metric" in complete("photofind like x.jpg --me")


def test_bash_completes_model_names_and_metrics_not_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # files bash would offer instead, were nothing completed
    (tmp_path / "clip-notes.txt").write_text("")
    (tmp_path / "l1.jpg").write_text("")
    assert sorted(complete("photofind like x.jpg -m ''")) == ["clip", "clip-multilingual", "effnet-lite0", "pixel"]
    assert complete("photofind status --model e") == ["effnet-lite0"]
    assert sorted(complete("photofind index . -m cl")) == ["clip", "clip-multilingual"]
    assert sorted(complete("photofind like x.jpg --metric ''")) == ["corr", "cosine", "l1", "l2"]
    assert sorted(complete("photofind search dog --metric l")) == ["l1", "l2"]
