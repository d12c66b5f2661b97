"""Ready model files from the Hugging Face hub, verified before anything uses them.

One file at a time (`fetch_verified`):
- in the hub's cache and already verified (a memo of its size and mtime): used, no network;
- otherwise the hub is asked once, with no retries and a time bound (weights.probe_meta): not
  reachable, or HF_HUB_OFFLINE set, is one line within seconds; a 404 is one line naming the
  model and the file;
- the file downloads into the hub's cache (huggingface_hub writes `<blob>.incomplete` and renames
  it only when complete), with progress to whoever `weights.report_downloads` names;
- then its size and, where the hub gives one (an LFS file's ETag), its SHA-256 are checked. A file
  that fails is deleted and fetched once more; a second failure is deleted too and is one line.
So no run trusts a half-written or corrupt file: it is either verified or not in the cache.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import re
from pathlib import Path

from photofind.embedders.weights import FileMeta, HubFile, download, probe_meta
from photofind.errors import ModelUnavailableError

log = logging.getLogger("photofind.embedders")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_SHA1 = re.compile(r"[0-9a-f]{40}")


def hub_cache() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def fetch_verified(f: HubFile, model: str, advice: str) -> Path:
    """The local path of a verified copy of `f`, downloading it if needed; or a one-line
    ModelUnavailableError. `model` names the model in messages."""
    from huggingface_hub import constants, try_to_load_from_cache

    cached = try_to_load_from_cache(f.repo_id, f.filename)
    path = Path(cached) if isinstance(cached, str) else None
    if path is not None and _memo_ok(path):
        return path
    what = f"model {model} ({f.repo_id}/{f.filename})"
    if path is not None:  # cached by an earlier run (or another program), not verified since
        if _blob_ok(path):
            _write_memo(path)
            return path
        discard(path)  # changed since it was verified: never used as it is
        path = None
    if constants.is_offline_mode():
        raise ModelUnavailableError(f"could not download {what}: HF_HUB_OFFLINE is set and it is not in the "
                                    f"Hugging Face cache; {advice}")
    meta = probe_meta(f, constants.ENDPOINT, model, advice)
    if path is not None and _problem(path, meta) is None:
        _write_memo(path)
        return path
    _check_writable(hub_cache(), model)
    problem = ""
    for attempt in (1, 2):
        if path is not None:
            discard(path)
        _drop_partial(f)
        try:
            path = Path(download(f, what, advice))
        except ModelUnavailableError as exc:
            if _read_only(exc.__cause__):
                raise _read_only_error(model, exc.__cause__) from None
            problem, path = str(exc), None
            log.info("download %d of %s failed: %s", attempt, what, exc)
            continue
        problem = _problem(path, meta) or ""
        if not problem:
            _write_memo(path)
            return path
        log.info("download %d of %s is bad: %s", attempt, what, problem)
    if path is not None:
        discard(path)
    _drop_partial(f)
    raise ModelUnavailableError(f"could not download {what}: it failed twice ({_first_line(problem)}); "
                                f"try again later, or {advice}")


def _problem(path: Path, meta: FileMeta) -> str | None:
    """Why the downloaded file is not the hub's, or None."""
    size = path.stat().st_size
    if meta.size is not None and size != meta.size:
        return f"{size} bytes, the hub says {meta.size}"
    if meta.sha256 is not None and file_sha256(path) != meta.sha256:
        return "its SHA-256 is not the hub's"
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _blob_ok(path: Path) -> bool:
    """The hub's cache names a blob by its ETag: an LFS file's SHA-256, a small file's git blob
    SHA-1. So a cached file is checked without the network."""
    blob = path.resolve()
    if _SHA256.fullmatch(blob.name):
        return file_sha256(blob) == blob.name
    if _SHA1.fullmatch(blob.name):
        data = blob.read_bytes()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == blob.name
    return False


# -- the memo: "this file was verified", so a later start does not hash 350 MB again ----------
def _memo_path(path: Path) -> Path:
    blob = path.resolve()
    return blob.parent.parent / ".photofind-verified" / (blob.name + ".json")


def _stamp(path: Path) -> dict[str, int]:
    st = path.resolve().stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _memo_ok(path: Path) -> bool:
    try:
        return json.loads(_memo_path(path).read_text()) == _stamp(path)
    except (OSError, ValueError):
        return False


def _write_memo(path: Path) -> None:
    memo = _memo_path(path)
    try:
        memo.parent.mkdir(exist_ok=True)
        tmp = memo.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(_stamp(path)))
        os.replace(tmp, memo)
    except OSError as exc:  # a read-only cache that holds the file: verified again next time
        log.debug("cannot write %s: %s", memo, exc)


def discard(path: Path) -> None:
    """Delete a cached file: its blob, the snapshot's link to it, and its memo."""
    blob = path.resolve()
    for p in (_memo_path(path), blob, path):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.debug("cannot delete %s: %s", p, exc)


def _drop_partial(f: HubFile) -> None:
    """huggingface_hub resumes a `.incomplete` blob; after a bad transfer start from zero."""
    from huggingface_hub.file_download import repo_folder_name

    blobs = hub_cache() / repo_folder_name(repo_id=f.repo_id, repo_type="model") / "blobs"
    for part in blobs.glob("*.incomplete"):
        try:
            part.unlink()
        except OSError:
            pass


# -- a cache that cannot be written -----------------------------------------------------------
def _check_writable(cache: Path, model: str) -> None:
    try:
        cache.mkdir(parents=True, exist_ok=True)
        probe = cache / f".photofind-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise _read_only_error(model, exc) from None


def _read_only(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, PermissionError) or getattr(exc, "errno", None) in (errno.EROFS, errno.EACCES):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _read_only_error(model: str, exc: BaseException | None) -> ModelUnavailableError:
    reason = getattr(exc, "strerror", None) or type(exc).__name__
    return ModelUnavailableError(f"cannot download model {model}: the Hugging Face cache {hub_cache()} is not "
                                 f"writable ({reason}); set HF_HOME to a writable folder")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else "unknown error"
