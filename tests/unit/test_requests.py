"""The request layer's wire form, and the socket that carries it: a real Unix socket server and
client, with a daemon that answers slowly, streams progress, hangs or hangs up."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from photofind.api.requests import (
    VERBS,
    ActivityRequest,
    BrowseRequest,
    DupesRequest,
    WeightedImage,
    IndexRequest,
    JournalRequest,
    LikeRequest,
    LikeStoredRequest,
    LikeUploadRequest,
    PhotoRequest,
    PingRequest,
    Request,
    RestoreRequest,
    SearchRequest,
    StatusRequest,
    StopRequest,
    TrashRequest,
)
from photofind.daemon import socket_server as server_module
from photofind.api.protocol import DaemonClient
from photofind.daemon.socket_server import SocketServer
from photofind.errors import DaemonError, InputError, PhotofindError
from photofind.query.filters import Filters
from photofind.query.ranking import Ranking
from photofind.results import Progress


def filters(tmp_path: Path) -> Filters:
    return Filters.build("2023-06-01", "2023-08-31", str(tmp_path), 0.8)


def examples(tmp_path: Path) -> list[Request]:
    return [
        LikeRequest(image="/p/q.jpg", ranking=Ranking(3, "l1", True, filters(tmp_path)), model="pixel"),
        SearchRequest(text="a dog", ranking=Ranking(k=5, filters=filters(tmp_path))),
        LikeRequest(image="/p/a.jpg", weight=2.0, examples=(WeightedImage("/p/b.jpg"), WeightedImage("/p/c:d.jpg", -0.5))),
        SearchRequest(text="a dog", examples=(WeightedImage("/p/a.jpg", 3.0),), ranking=Ranking(k=5)),
        DupesRequest(near=False, max_distance=7, model="clip"),
        StatusRequest(model="pixel"),
        IndexRequest(paths=("/a", "/b"), full=True),
        PingRequest(),
        LikeStoredRequest(hash="ab" * 32, ranking=Ranking(k=48, metric="corr"), model="pixel"),
        LikeUploadRequest(data="aGVsbG8=", name="q.png", ranking=Ranking(filters=filters(tmp_path))),
        PhotoRequest(hash="cd" * 32, details=True),
        ActivityRequest(),
        BrowseRequest(folder="/p/2023", after="/p/2023/a.jpg", folders_after="/p/2023/x", photos=12),
        StopRequest(),
        TrashRequest(groups=({"keeper": {"path": "/p/a.jpg", "hash": "ab" * 32, "bytes": 10},
                              "move": [{"path": "/p/b c.jpg", "hash": "ab" * 32, "bytes": 10}]},),
                     home_trash="/home/u/.local/share/Trash", model="pixel"),
        RestoreRequest(operation="20261206-021530"),
        JournalRequest(),
    ]


def test_every_verb_has_an_example_and_survives_the_wire(tmp_path: Path) -> None:
    requests = examples(tmp_path)
    assert {r.verb for r in requests} == set(VERBS)
    for request in requests:
        wire = json.loads(json.dumps(request.to_json()))
        assert Request.from_json(wire) == request
    trash = Request.from_json(json.loads(json.dumps(requests[-3].to_json())))
    assert isinstance(trash, TrashRequest) and trash.moves()[0].move[0].path == "/p/b c.jpg"


def test_filters_cross_the_wire_typed_and_keep_their_inclusive_day_end(tmp_path: Path) -> None:
    sent = LikeRequest(image="/q", ranking=Ranking(filters=filters(tmp_path)))
    back = Request.from_json(json.loads(json.dumps(sent.to_json())))
    assert isinstance(back, LikeRequest)
    got = back.ranking.filters
    assert got.until == datetime(2023, 8, 31, 23, 59, 59, 999999)
    assert got.taken_ok("2023-08-31T23:00:00") and not got.taken_ok("2023-09-01T00:00:00")


def test_unknown_or_malformed_requests_are_photofind_errors() -> None:
    with pytest.raises(PhotofindError, match="unknown request 'erase'"):
        Request.from_json({"verb": "erase"})
    with pytest.raises(PhotofindError, match="malformed like request"):
        Request.from_json({"verb": "like", "k": 3})  # no image


@pytest.fixture
def sock_path(tmp_path: Path) -> Path:
    return tmp_path / "s.sock"


def serve(path: Path, dispatch: Any) -> SocketServer:
    server = SocketServer(path, dispatch)
    # close() waits for the loop's next poll: 0.5 s by default, at every test's end
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


def test_a_job_streams_progress_and_returns_its_answer(sock_path: Path) -> None:
    def dispatch(request: Request, emit: Any, gone: Any) -> Any:
        assert isinstance(request, IndexRequest) and request.full
        for done in range(1, 4):
            emit({"done": done, "total": 3, "skipped": 0})
        return {"seen": 3}

    server = serve(sock_path, dispatch)
    try:
        seen: list[Progress] = []
        assert DaemonClient(sock_path, 42).call(IndexRequest(full=True), seen.append) == {"seen": 3}
        assert seen == [Progress(1, 3, 0), Progress(2, 3, 0), Progress(3, 3, 0)]
    finally:
        server.close()


def test_heartbeats_keep_a_slow_answer_alive_past_the_idle_timeout(sock_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "HEARTBEAT", 0.1)
    server = serve(sock_path, lambda request, emit, gone: time.sleep(1.2) or "done")
    try:
        assert DaemonClient(sock_path, 42, idle_timeout=0.5).call(StatusRequest()) == "done"
    finally:
        server.close()


def test_core_errors_come_back_as_themselves(sock_path: Path) -> None:
    def dispatch(request: Request, emit: Any, gone: Any) -> Any:
        raise InputError("/x.jpg does not exist")

    server = serve(sock_path, dispatch)
    try:
        with pytest.raises(InputError, match="/x.jpg does not exist"):
            DaemonClient(sock_path, 42).call(LikeRequest(image="/x.jpg"))
    finally:
        server.close()


def raw_server(path: Path, behaviour: str) -> threading.Thread:
    """A peer that accepts one request and then says nothing, or hangs up."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def run() -> None:
        conn, _ = listener.accept()
        conn.recv(1 << 16)
        if behaviour == "silent":
            time.sleep(2)
        conn.close()
        listener.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_daemon_that_goes_silent_is_a_one_line_error_naming_it(sock_path: Path) -> None:
    raw_server(sock_path, "silent")
    with pytest.raises(DaemonError, match=r"photofind watch \(pid 42\) sent nothing for 0.3 s"):
        DaemonClient(sock_path, 42, idle_timeout=0.3).call(StatusRequest())


def test_a_daemon_that_hangs_up_is_a_one_line_error_naming_it(sock_path: Path) -> None:
    raw_server(sock_path, "hang up")
    with pytest.raises(DaemonError, match=r"photofind watch \(pid 42\) closed the connection before answering"):
        DaemonClient(sock_path, 42).call(StatusRequest())


def test_a_malformed_ranking_is_a_photofind_error_not_an_internal_one() -> None:
    with pytest.raises(PhotofindError, match="malformed like request"):
        Request.from_json({"verb": "like", "image": "/q", "ranking": {"k": "many"}})
