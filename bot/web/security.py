"""What protects the page in a browser: response headers and a same-origin check on writes.

Headers: a Content-Security-Policy that allows only this server's own scripts, styles and
images (no inline script or `style=` attribute anywhere, so an injected tag cannot run or
restyle the page; photos are same-origin URLs, the preview a `blob:`), no framing by anyone
(clickjacking), no MIME sniffing, and no referrer sent to other sites.

Cross-site request forgery: every state-changing request (POST, PUT, PATCH, DELETE) must come
from a page of this site. Browsers say where a request comes from in `Origin` (and
`Sec-Fetch-Site`); a form on another site posting here carries that site's origin and is refused
with 403. Requests that carry neither header nor a `Referer` come from scripts and tools, not
from a browser a victim is using, so they pass: the JSON API stays usable with curl.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.problems import Problem
from bot.web.text import t

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every response that does not set its own.

    A plain ASGI middleware (not `BaseHTTPMiddleware`) so request bodies keep streaming
    straight to the upload reader.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _host_port(netloc: str, scheme: str) -> str:
    """`host:port`, lower-cased, with the scheme's default port spelled out."""
    netloc = netloc.lower()
    if ":" in netloc.rsplit("]", 1)[-1]:
        return netloc
    return f"{netloc}:{_DEFAULT_PORTS.get(scheme, '')}"


def is_same_origin(request: Request) -> bool:
    """Whether a write comes from this site's own pages (see the module docstring).

    The request's own host is the `Host` header, or `X-Forwarded-Host` behind a reverse proxy
    (a cross-site form cannot set either). Ports are compared; the scheme is not, because TLS
    usually ends at the proxy.
    """
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is None:
        return True
    parts = urlsplit(claimed)
    if not parts.scheme or not parts.netloc:
        return False  # "null" (sandboxed frames, opaque origins) or garbage
    hosts = [request.headers.get("host", "")]
    hosts += [host.strip() for host in request.headers.get("x-forwarded-host", "").split(",")]
    mine = {_host_port(host, parts.scheme) for host in hosts if host}
    return _host_port(parts.netloc, parts.scheme) in mine


async def same_origin_writes(request: Request) -> None:
    """App-wide dependency: refuse a state-changing request that another site made."""
    if request.method not in SAFE_METHODS and not is_same_origin(request):
        raise Problem("cross-site", t("web.cross_site"))
