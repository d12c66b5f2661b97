"""What keeps a local photo server local.

- Host check (DNS rebinding): a page on any site can point its own host name at 127.0.0.1 and
  make the browser talk to us; such requests carry that name in Host, so only loopback names
  and the bound address are answered (Jupyter does the same unless remote access is on).
  A cross-site POST (Origin of another host) is refused too.
- Files are served by content hash only, from a catalogued copy whose real path is inside a
  root and whose size and mtime are still what was indexed (`servable_copy`)."""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
from typing import Any, Callable
from urllib.parse import urlsplit

from photofind.media.files import NotRegularFileError, check_regular
from photofind.results import PhotoInfo

WILDCARDS = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str) -> str | None:
    """Said whenever the page is reachable from other machines."""
    if is_loopback(host):
        return None
    where = "every network this machine is on" if host in WILDCARDS else f"the network of {host}"
    return (f"warning: serving on {host or '*'}: anyone on {where} can see your photos "
            "(photofind web has no login); use --host 127.0.0.1 to keep them to this machine")


LOCAL_NAMES = {"localhost", "127.0.0.1", "::1"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# Each refusal names the check that refused: a user (or a developer reading a 403) must see why.
HOST_REFUSED = "refused: this photofind page answers only to its own address (Host header check)"
ORIGIN_REFUSED = ("refused: this {method} came from a page of another site (Origin: {origin}); photofind takes "
                  "searches, uploads and trash actions only from its own pages (Origin header check, against "
                  "cross-site requests); nothing was done")


def host_name(header: str) -> str:
    """'example.org:8765' -> 'example.org', '[::1]:8765' -> '::1'."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else ""
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_checker(bound: str) -> Callable[[str], bool]:
    allowed = LOCAL_NAMES | {bound.lower().strip("[]")}
    wildcard = bound in WILDCARDS
    if wildcard:  # reachable by whatever name or address this machine has
        allowed |= {socket.gethostname().lower(), socket.getfqdn().lower()}

    def ok(name: str) -> bool:
        if name in allowed:
            return True
        if wildcard:  # an IP literal cannot be rebound by a DNS answer
            try:
                ipaddress.ip_address(name)
                return True
            except ValueError:
                return False
        return False

    return ok


# Every response: nothing but this server's own assets may load (no CDN, no inline script), no
# other site may frame the page, and no address of it leaks to a site a link opens.
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'; "
                                 b"form-action 'self'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # not no-referrer: that makes form posts say "Origin: null"
]


class HostCheck:
    """ASGI middleware: 403 for a Host (or a POST's Origin) that is not ours; security headers
    on every answer."""

    def __init__(self, app: Any, bound: str) -> None:
        self.app = app
        self.ok = host_checker(bound)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            origin = headers.get("origin")
            refusal = None if self.ok(host_name(headers.get("host", ""))) else HOST_REFUSED
            if refusal is None and origin and scope["method"] not in SAFE_METHODS:
                if not self.ok(host_name(urlsplit(origin).netloc)):
                    refusal = ORIGIN_REFUSED.format(origin=origin[:200], method=scope["method"])
            if refusal is not None:
                from starlette.responses import PlainTextResponse

                response = PlainTextResponse(refusal, 403)
                await response(scope, receive, send)
                return

            async def send_with_headers(message: Any) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
                await send(message)

            await self.app(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send)


class CsrfGuard:
    """What a state-changing request (moving files to the trash, restoring them) must carry:
    POST (the routes take nothing else), an Origin that is this very page's (scheme, host and
    port as the browser addressed it), and the page's token in the form. The token is random per
    server process and only ever written into this server's own pages, which no other site can
    read (same-origin policy), so a forged form cannot know it. Anything else: 403, nothing done."""

    FIELD = "csrf"

    def __init__(self) -> None:
        self.token = secrets.token_urlsafe(32)

    @staticmethod
    def from_this_computer(request: Any) -> bool:
        """Only a browser on this computer may move or restore files: `web --host 0.0.0.0` shows
        the photos to the network (with a warning) but a page has no login, so the network
        may look, never change."""
        return request.client is not None and is_loopback(request.client.host)

    def refuse(self, request: Any, form: Any) -> Any:
        from starlette.responses import PlainTextResponse

        if not self.from_this_computer(request):
            peer = request.client.host if request.client else "an unknown address"
            return PlainTextResponse(f"refused: files are moved or restored only from this computer (this request "
                                     f"came from {peer}); nothing was moved", 403)
        origin = request.headers.get("origin", "")
        host = request.headers.get("host", "")
        parts = urlsplit(origin)
        if not origin or parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
            return PlainTextResponse("refused: not sent from this page (Origin check); nothing was moved", 403)
        sent = str(form.get(self.FIELD) or "")
        if not hmac.compare_digest(sent.encode(), self.token.encode()):
            return PlainTextResponse("refused: the form's token is missing or out of date (reload the page); "
                                     "nothing was moved", 403)
        return None


def _inside(real: str, roots: list[str]) -> bool:
    return any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots)


def servable_copy(info: PhotoInfo) -> str | None:
    """The real path of a copy of `info`'s content that may be served, or None: inside a root
    after resolving every symlink, a regular file, and unchanged since it was indexed (so the
    bytes are the hash's)."""
    roots = [os.path.realpath(r) for r in info.roots]
    for copy in info.copies:
        real = os.path.realpath(copy.path)
        if not _inside(real, roots):
            continue
        try:
            st = check_regular(real)  # never a FIFO or device put in the photo's place
        except (OSError, NotRegularFileError):
            continue
        if (st.st_size, st.st_mtime_ns) == (copy.bytes, copy.mtime_ns):
            return real
    return None


def is_servable(path: str, roots: list[str]) -> bool:
    return _inside(os.path.realpath(path), [os.path.realpath(r) for r in roots])
