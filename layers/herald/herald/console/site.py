"""The console's files as the browser gets them: read once per container, served with a strict
Content-Security-Policy and the other security headers, revalidated by ETag.

Routes (template.yaml, both open: the sign-in page must load before there is a token):
``/console`` redirects to ``/console/`` (the page's relative URLs need the slash);
``/console/`` and ``/console/callback`` (the hosted UI's redirect) are the page;
``/console/config.json`` is the sign-in configuration; ``/console/<file>`` a static file.
Only files found at cold start are served: a path is looked up, never opened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from herald.console.config import ConsoleMisconfigured, SignIn

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
INDEX = "index.html"
PAGE_PATHS = frozenset({"", INDEX, "callback"})  # the page itself (callback: the hosted UI's)
CONFIG_PATH = "config.json"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load(root: Path) -> dict[str, Asset]:
    """Every servable file under ``root`` by its relative path (``js/main.js``)."""
    found = {}
    for path in sorted(root.rglob("*")):
        kind = CONTENT_TYPES.get(path.suffix)
        if path.is_file() and kind and not path.name.startswith("."):
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            found[path.relative_to(root).as_posix()] = Asset(body, kind, etag)
    return found


def policy(sign_in: SignIn) -> str:
    """The page's Content-Security-Policy: its own scripts and styles only (no inline script or
    style, no eval), its own API (and the hosted UI's token endpoint), never framed.

    Images may come from https (an email's, in the preview); the preview frame is ``srcdoc``
    with ``sandbox`` (no scripts) and inherits this policy, so the email's CSS is applied by
    the page through CSSOM (see preview.js), never by allowing inline styles.
    """
    connect = " ".join(("'self'", *sign_in.connect_origins))
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        f"connect-src {connect}; font-src 'self'; form-action 'none'; base-uri 'none'; "
        "object-src 'none'; frame-ancestors 'none'"
    )


def headers(content_type: str, sign_in: SignIn | None = None, cache: str = "no-cache") -> dict:
    found = {
        "Content-Type": content_type,
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",  # the callback's ?code= never leaves in a Referer
        "Cross-Origin-Opener-Policy": "same-origin",
        "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if sign_in is not None:
        found["Content-Security-Policy"] = policy(sign_in)
    return found


def _response(status: int, body: bytes | str, head: dict) -> dict:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    return {"statusCode": status, "headers": head, "body": text, "isBase64Encoded": False}


def _header(event: dict, name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if isinstance(key, str) and key.lower() == name:
            return value if isinstance(value, str) else None
    return None


def respond(assets: dict[str, Asset], event: dict, sign_in: Callable[[], SignIn]) -> dict:
    """The answer to one GET of the console's routes (``sign_in`` reads the configuration)."""
    params = event.get("pathParameters") or {}
    proxy = params.get("proxy") if isinstance(params, dict) else None
    if proxy is None:  # /console or /console/
        if not str(event.get("path") or "").endswith("/"):
            # relative: right under a stage (/dev/console) and a custom domain's base path alike
            return _response(301, "", {**headers("text/plain"), "Location": "console/"})
        proxy = ""
    if proxy == CONFIG_PATH:
        try:
            config = sign_in().to_dict()
        except ConsoleMisconfigured as exc:  # said to the page, which says it to the user
            return _response(exc.status, json.dumps({"error": exc.to_dict()}), _json_headers())
        return _response(200, json.dumps(config), _json_headers())
    if proxy in PAGE_PATHS:
        try:
            config = sign_in()
        except ConsoleMisconfigured:
            config = SignIn("unavailable")  # the page loads, and config.json says what's wrong
        page = assets[INDEX]
        return _response(200, page.body, headers(page.content_type, config, cache="no-store"))
    asset = assets.get(proxy)
    if asset is None:
        return _response(404, "not found", headers(CONTENT_TYPES[".txt"]))
    head = {**headers(asset.content_type), "ETag": asset.etag}
    if _header(event, "if-none-match") == asset.etag:
        return _response(304, "", head)
    return _response(200, asset.body, head)


def _json_headers() -> dict:
    return headers(CONTENT_TYPES[".json"], cache="no-store")
