"""store.url: vectors in a real Chroma server (`chroma run` on 127.0.0.1, started here and in CI
by this test), the catalog local. Index, like, and a reindex after a delete, end to end."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.images import library
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "chromadb's `chroma` command is missing from the environment"
    port = free_port()
    log = open(tmp_path / "chroma.log", "wb")
    proc = subprocess.Popen([chroma, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        def listening() -> bool:
            assert proc.poll() is None, (tmp_path / "chroma.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return True
            except OSError:
                return False

        wait_until(listening, 60, lambda: f"chroma run to open port {port}:\n" + (tmp_path / "chroma.log").read_text(),
                   every=0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "photofind", *args], capture_output=True, text=True, env=env, timeout=120)


def test_index_like_and_reindex_against_a_real_chroma_server(tmp_path: Path, isolated_home: Path, chroma_server: str) -> None:
    import chromadb

    env = {**os.environ, "PHOTOFIND_STORE_URL": chroma_server, "PHOTOFIND_MODEL": "pixel"}
    root = tmp_path / "photos"
    files = library(root, 6)
    shutil.copy(files[3], root / "copy.jpg")
    res = cli("index", str(root), env=env)
    assert res.returncode == 0, res.stderr
    assert not (isolated_home / "chroma").exists()  # no local vectors: they are on the server
    host, port = chroma_server.rsplit(":", 1)
    server = chromadb.HttpClient(host="127.0.0.1", port=int(port))
    (col,) = [c for c in server.list_collections() if c.name.startswith("pf_")]
    assert col.count() == 6

    res = cli("like", str(files[3]), "--json", "-k", "2", env=env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["matches"][0]["path"] == str(root / "copy.jpg")

    files[0].unlink()
    res = cli("reindex", env=env)
    assert res.returncode == 0 and "1 removed" in res.stdout, res.stdout + res.stderr
    assert server.get_collection(col.name).count() == 5
    res = cli("like", str(files[1]), "--json", "-k", "10", env=env)
    assert str(files[0]) not in [m["path"] for m in json.loads(res.stdout)["matches"]]


def test_unreachable_server_is_a_one_line_error(tmp_path: Path) -> None:
    env = {**os.environ, "PHOTOFIND_STORE_URL": f"http://127.0.0.1:{free_port()}", "PHOTOFIND_MODEL": "pixel"}
    library(tmp_path / "p", 1)
    res = cli("index", str(tmp_path / "p"), env=env)
    assert res.returncode == 2 and "cannot reach the Chroma server" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
