"""A stand-in for Cognito's hosted UI and OAuth token endpoint (moto serves neither page).

It implements what ``herald login`` relies on, as Cognito documents it: ``/oauth2/authorize``
answers with a redirect to the registered callback carrying a one-time code and the caller's
state; ``/oauth2/token`` trades a code for tokens only with the PKCE verifier whose S256
digest was the challenge, the same client and the same redirect URI, and renews an ID token
from a refresh token. The "browser" is :meth:`HostedUi.browse`: it follows the redirect to the
CLI's loopback listener, as a browser would after the person signed in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def jwt(claims: dict) -> str:
    """An unsigned JWT-shaped token (the CLI reads claims; only the API verifies signatures)."""

    def part(doc: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


class HostedUi:
    def __init__(self, client_id: str, user: str, groups: list[str], id_token: str | None = None):
        self.client_id, self.user, self.groups = client_id, user, groups
        self.fixed_id_token = id_token  # e.g. a local: bearer the local stack accepts
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: set[str] = set()
        self.token_requests: list[dict] = []
        self.issued = 0
        handler = type("Handler", (_Handler,), {"ui": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.domain = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostedUi:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, lifetime_s: int = 3600) -> str:
        self.issued += 1
        if self.fixed_id_token:
            return self.fixed_id_token
        now = int(time.time())
        return jwt(
            {
                "email": self.user,
                "cognito:username": self.user,
                "cognito:groups": self.groups,
                "iat": now,
                "exp": now + lifetime_s,
                "n": self.issued,
            }
        )

    def browse(self, url: str, *, state: str | None = None) -> None:
        """The browser: open the authorize URL (the person signs in), follow the redirect."""
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            opener.open(url, timeout=10)
            raise AssertionError("the authorize endpoint did not redirect")
        except urllib.error.HTTPError as redirect:
            location = redirect.headers["Location"]
        if state is not None:  # an attacker's answer: the CLI must not take it
            parsed = urllib.parse.urlsplit(location)
            query = dict(urllib.parse.parse_qsl(parsed.query), state=state)
            location = parsed._replace(query=urllib.parse.urlencode(query)).geturl()
        with urllib.request.urlopen(location, timeout=10) as answer:
            assert answer.status == 200


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _Handler(BaseHTTPRequestHandler):
    ui: HostedUi

    def log_message(self, *args) -> None:
        return

    def _json(self, status: int, doc: dict) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path != "/oauth2/authorize":
            return self._json(404, {"error": "not_found"})
        if q.get("client_id") != self.ui.client_id or q.get("response_type") != "code":
            return self._json(400, {"error": "invalid_request"})
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return self._json(400, {"error": "invalid_request"})  # the CLI client needs PKCE
        code = secrets.token_urlsafe(16)
        self.ui.codes[code] = q
        location = f"{q['redirect_uri']}?{urllib.parse.urlencode({'code': code, 'state': q.get('state', '')})}"
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        if self.path != "/oauth2/token":
            return self._json(404, {"error": "not_found"})
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        self.ui.token_requests.append(form)
        if form.get("client_id") != self.ui.client_id:
            return self._json(400, {"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            asked = self.ui.codes.pop(form.get("code", ""), None)  # one use only
            if asked is None or asked["redirect_uri"] != form.get("redirect_uri"):
                return self._json(400, {"error": "invalid_grant"})
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if challenge != asked["code_challenge"]:
                return self._json(400, {"error": "invalid_grant"})
            refresh = secrets.token_urlsafe(16)
            self.ui.refresh_tokens.add(refresh)
            return self._json(
                200,
                {
                    "id_token": self.ui.id_token(),
                    "access_token": "access-" + secrets.token_hex(4),
                    "refresh_token": refresh,
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            )
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.ui.refresh_tokens:
                return self._json(400, {"error": "invalid_grant"})
            return self._json(
                200,
                {
                    "id_token": self.ui.id_token(),
                    "access_token": "access-" + secrets.token_hex(4),
                    "expires_in": 3600,
                    "token_type": "Bearer",
                },
            )
        return self._json(400, {"error": "unsupported_grant_type"})
