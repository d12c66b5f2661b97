"""Pretrained CLIP weights from the Hugging Face hub, fetched before open_clip asks for them.

Left to itself, open_clip calls huggingface_hub, which retries an unreachable hub for minutes
and logs every retry. Here, instead:
- weights in the hub's cache are used as they are, with the hub switched off (no network);
- otherwise one short probe of the hub (HF_ENDPOINT is respected) decides: unreachable is a
  one-line ModelUnavailableError within seconds; reachable, the file is downloaded once, with its
  progress reported as DownloadProgress values to whoever `report_downloads` names;
- open_clip then loads the tag from the cache with the hub switched off (`hub_offline`).
"""

from __future__ import annotations

import contextvars
import importlib.util
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from photofind.errors import ModelUnavailableError
from photofind.results import DownloadProgress

log = logging.getLogger("photofind.embedders")

PROBE_TIMEOUT = 4.0  # seconds for the whole probe, name lookup included
OFFLINE_MODEL = ", or use the offline model with --model effnet-lite0"  # not for text search: it has no text tower
ADVICE = "set model.checkpoint to a local weights file" + OFFLINE_MODEL

Observer = Callable[[DownloadProgress], None]
# Who hears about a download: set per request (api.handlers.run), read wherever the model loads
# first (a decode worker, a query). A context variable, so that two clients of one server each
# hear only about their own request.
_observer: contextvars.ContextVar[Observer | None] = contextvars.ContextVar("photofind_download_observer",
                                                                            default=None)


@contextmanager
def report_downloads(observer: Callable[[Any], None] | None) -> Iterator[None]:
    """Weights downloaded inside this block report their progress to `observer`."""
    token = _observer.set(observer)
    try:
        yield
    finally:
        _observer.reset(token)


@dataclass(frozen=True)
class HubFile:
    repo_id: str
    filename: str


def hub_files(model_name: str, pretrained: str) -> list[HubFile]:
    """The hub files open_clip would try for a pretrained tag, in its order (a .safetensors
    twin first); [] when the tag's weights do not come from the hub (a URL, a local file)."""
    from open_clip import get_pretrained_cfg
    from open_clip.constants import HF_SAFE_WEIGHTS_NAME, HF_WEIGHTS_NAME

    source = (get_pretrained_cfg(model_name, pretrained) or {}).get("hf_hub", "")
    if not source:
        return []
    repo_id, filename = os.path.split(source)
    filename = filename or HF_WEIGHTS_NAME
    if importlib.util.find_spec("safetensors") is None:  # open_clip looks for the twin only with it
        twins = []
    elif filename == HF_WEIGHTS_NAME:
        twins = [HF_SAFE_WEIGHTS_NAME]
    elif filename.endswith((".bin", ".pth")):
        twins = [filename[:-4] + ".safetensors"]
    else:
        twins = []
    return [HubFile(repo_id, name) for name in (*twins, filename)]


def cached_file(files: list[HubFile]) -> str | None:
    """The first of `files` already in the hub's cache (no network)."""
    from huggingface_hub import try_to_load_from_cache

    for f in files:
        path = try_to_load_from_cache(f.repo_id, f.filename)
        if isinstance(path, str):  # not None, not the "known to be missing" marker
            return path
    return None


def ensure_cached(model_name: str, pretrained: str) -> bool:
    """Make sure open_clip will find the tag's weights in the hub's cache, or raise a one-line
    ModelUnavailableError within seconds. Tags not served by the hub are left to open_clip.
    True: open_clip needs nothing else from the hub, so it may load with the hub switched off."""
    files = hub_files(model_name, pretrained)
    if not files:
        return False
    if not cached_file(files):
        _fetch(model_name, pretrained, files)
    return not _has_hub_text_tower(model_name)


def _has_hub_text_tower(model_name: str) -> bool:
    """A Hugging Face text tower (e.g. xlm-roberta) brings its own config and tokenizer from the hub."""
    from open_clip import get_model_config

    return bool(((get_model_config(model_name) or {}).get("text_cfg") or {}).get("hf_model_name"))


def _fetch(model_name: str, pretrained: str, files: list[HubFile]) -> None:
    from huggingface_hub import constants

    what = f"CLIP weights {model_name}/{pretrained}"
    if constants.is_offline_mode():
        raise ModelUnavailableError(f"could not download {what}: HF_HUB_OFFLINE is set and they are not in the "
                                    f"Hugging Face cache; {ADVICE}")
    found = probe(files, constants.ENDPOINT, what)
    download(found, what)


def _file_url(endpoint: str, f: HubFile) -> str:
    from huggingface_hub import hf_hub_url

    return hf_hub_url(f.repo_id, f.filename, endpoint=endpoint)  # the URL hf_hub_download asks first


def _status(url: str, timeout: float) -> int:
    """The HTTP status of a HEAD request (any answer means the hub is reachable)."""
    return _head(url, timeout)[0]


def _head(url: str, timeout: float) -> tuple[int, dict[str, str]]:
    """The HTTP status and headers of a HEAD request, redirects not followed."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # a redirect (to the hub's CDN) already says the file is there

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, method="HEAD"), timeout=timeout) as reply:
            return int(reply.status), {k.lower(): v for k, v in reply.headers.items()}
    except urllib.error.HTTPError as exc:  # 3xx (not followed), 401, 404, ...
        return int(exc.code), {k.lower(): v for k, v in (exc.headers or {}).items()}


@dataclass(frozen=True)
class FileMeta:
    size: int | None  # bytes, where the hub says
    sha256: str | None  # an LFS file's ETag is its SHA-256; a small git file's is not


def _meta(headers: dict[str, str]) -> FileMeta:
    """The hub's HEAD answer: an LFS file redirects to its CDN with X-Linked-Size/-Etag; a
    plain file answers itself with Content-Length/ETag."""
    size = headers.get("x-linked-size") or headers.get("content-length")
    etag = (headers.get("x-linked-etag") or headers.get("etag") or "").removeprefix("W/").strip('"').lower()
    return FileMeta(int(size) if size and size.isdigit() else None,
                    etag if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag) else None)


def probe_meta(f: HubFile, endpoint: str, model: str, advice: str, timeout: float = PROBE_TIMEOUT) -> FileMeta:
    """Ask the hub once, within `timeout`, for one file's size and hash: unreachable and 404 are
    one-line ModelUnavailableErrors naming the model and the file."""
    answer: dict[str, Any] = {}

    def ask() -> None:
        try:
            answer["head"] = _head(_file_url(endpoint, f), timeout)
        except Exception as exc:
            answer["error"] = exc

    worker = threading.Thread(target=ask, name="photofind-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    cannot = (f"could not download model {model} ({f.repo_id}/{f.filename}): the Hugging Face hub at {endpoint} "
              f"is not reachable")
    if worker.is_alive():
        raise ModelUnavailableError(f"{cannot} (no answer within {timeout:g} s); {advice}")
    if "error" in answer:
        raise ModelUnavailableError(f"{cannot} ({_reason(answer['error'])}); {advice}")
    status, headers = answer["head"]
    if status == 404:
        raise ModelUnavailableError(f"could not download model {model}: the hub at {endpoint} has no file "
                                    f"{f.filename} in {f.repo_id} (404); {advice}")
    if status >= 400 and status not in (401, 403):
        raise ModelUnavailableError(f"could not download model {model}: the hub at {endpoint} answered {status} "
                                    f"for {f.repo_id}/{f.filename}; {advice}")
    return _meta(headers)


def probe(files: list[HubFile], endpoint: str, what: str, timeout: float = PROBE_TIMEOUT) -> HubFile:
    """The first of `files` the hub has, asked once each with no retries. The whole probe runs in
    a thread bounded by `timeout`, so a name lookup that hangs cannot hold it either."""
    answer: dict[str, Any] = {}

    def ask() -> None:
        try:
            answer["status"] = [(f, _status(_file_url(endpoint, f), timeout)) for f in files]
        except Exception as exc:  # URLError, OSError, a bad HF_ENDPOINT, ...
            answer["error"] = exc

    worker = threading.Thread(target=ask, name="photofind-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    cannot = f"could not download {what}: the Hugging Face hub at {endpoint} is not reachable"
    if worker.is_alive():
        raise ModelUnavailableError(f"{cannot} (no answer within {timeout:g} s); {ADVICE}")
    if "error" in answer:
        raise ModelUnavailableError(f"{cannot} ({_reason(answer['error'])}); {ADVICE}")
    for f, status in answer["status"]:
        if status < 400 or status in (401, 403):  # there (gated files: the download brings the token)
            return f
    names = ", ".join(f"{f.repo_id}/{f.filename}" for f in files)
    raise ModelUnavailableError(f"could not download {what}: the Hugging Face hub at {endpoint} has none of "
                                f"{names}; {ADVICE}")


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc  # URLError wraps the socket's error
    return getattr(reason, "strerror", None) or str(reason) or type(reason).__name__


def download(f: HubFile, what: str, advice: str = ADVICE) -> str:
    """Download one hub file into the hub's cache, reporting progress, quietly: the hub's own
    warnings (retries mid-transfer) stay out of the user's terminal, and a failure is one line."""
    from huggingface_hub import hf_hub_download

    observer = _observer.get()
    log.info("downloading %s from %s", what, f"{f.repo_id}/{f.filename}")
    hub_log = logging.getLogger("huggingface_hub")
    level = hub_log.level
    hub_log.setLevel(logging.ERROR)
    try:
        # Under a server's private umask the hub's new files are 0600 too: still the user's own
        # for every program they run. Switching the process umask back for the download would
        # expose whatever another thread creates meanwhile (the store's files, thumbnails).
        import inspect

        # tqdm_class is recent (huggingface_hub 2.x has it); an older hub downloads without a bar.
        progress = ({"tqdm_class": _reporter(f"{what}", observer)}
                    if "tqdm_class" in inspect.signature(hf_hub_download).parameters else {})
        from huggingface_hub import constants

        return hf_hub_download(f.repo_id, f.filename, library_name="photofind", endpoint=constants.ENDPOINT,
                               **progress)
    except Exception as exc:
        raise ModelUnavailableError(f"could not download {what} ({type(exc).__name__}: "
                                    f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}); "
                                    f"{advice}") from exc
    finally:
        hub_log.setLevel(level)


def _reporter(name: str, observer: Observer | None) -> type:
    """A tqdm class for huggingface_hub that draws nothing and hands each update to `observer`."""
    from tqdm import tqdm

    class Reporter(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = True  # no bar of its own: the observer's front end draws one
            super().__init__(*args, **kwargs)
            self.done = int(kwargs.get("initial") or 0)
            self._report()

        def update(self, n: float | None = 1) -> bool | None:
            self.done += int(n or 0)
            self._report()
            return None

        def update_transfer(self, n: float | None = 1) -> None:
            """Xet downloads: bytes off the network; `update` counts those written, which is enough."""

        def _report(self) -> None:
            if observer is not None:
                total = getattr(self, "total", None)
                observer(DownloadProgress(name, self.done, int(total) if total else None))

    return Reporter


@contextmanager
def hub_offline() -> Iterator[None]:
    """huggingface_hub switched off for this block (it reads the flag on each request): open_clip
    then finds the weights in the cache without asking the network whether they changed."""
    from huggingface_hub import constants

    before = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = before
