"""``herald login``: sign in through Cognito's hosted UI with the authorization code flow + PKCE.

1. The CLI makes a random ``code_verifier`` and sends the browser to the hosted UI's
   ``/oauth2/authorize`` with its SHA-256 (``code_challenge``, S256), a random ``state`` and the
   CLI client's loopback callback (``http://localhost:8976/callback``, as template.yaml's
   ``CliClient`` allows).
2. The person signs in there: password, and the authenticator code (MFA is the hosted UI's
   job, so approvers with MFA sign in like anyone else; first sign-ins enrol the authenticator
   and set a password there too).
3. Cognito redirects to the loopback listener (127.0.0.1 only) with a one-time ``code``; the CLI
   checks ``state`` and trades the code plus the verifier for tokens at ``/oauth2/token``. A
   code intercepted on the way is useless without the verifier.

The ID token (it carries ``cognito:groups``, which the API's authorizer passes to the admin
function) and the refresh token are stored by :mod:`herald_dev.tokens`.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import secrets
import threading
import urllib.parse
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass

from herald.errors import HeraldError
from herald_dev import tokens

CALLBACK_PORT = 8976  # fixed: Cognito matches the callback URL exactly (template.yaml CliClient)
CALLBACK_PATH = "/callback"
SCOPES = "openid email profile"
WAIT_S = 300  # how long the listener waits for the person to sign in


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)[:96]  # 43-128 characters (RFC 7636)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def authorize_url(domain: str, client_id: str, redirect_uri: str, state: str, pkce: Pkce) -> str:
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPES,
            "state": state,
            "code_challenge": pkce.challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{domain.rstrip('/')}/oauth2/authorize?{query}"


class _Callback(http.server.BaseHTTPRequestHandler):
    result: dict  # set on the server's handler class

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path != CALLBACK_PATH:
            self.send_error(404)
            return
        params = dict(urllib.parse.parse_qsl(url.query))
        self.server.result.update(params)  # type: ignore[attr-defined]
        ok = "code" in params
        body = (
            "Signed in to Herald. You can close this tab and go back to the terminal."
            if ok
            else f"Sign-in failed: {params.get('error_description') or params.get('error', '?')}"
        ).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.done.set()  # type: ignore[attr-defined]

    def log_message(self, *args) -> None:  # the query holds the code: nothing to the terminal
        return


def _listen(port: int) -> http.server.HTTPServer:
    try:
        server = http.server.HTTPServer(("127.0.0.1", port), _Callback)
    except OSError as exc:
        raise HeraldError(
            f"can't listen on 127.0.0.1:{port} for the sign-in callback ({exc.strerror}): "
            "is another herald login running?"
        ) from exc
    server.result = {}  # type: ignore[attr-defined]
    server.done = threading.Event()  # type: ignore[attr-defined]
    return server


def login(
    api: str,
    domain: str,
    client_id: str,
    *,
    port: int = CALLBACK_PORT,
    open_browser: Callable[[str], object] = webbrowser.open,
    echo: Callable[[str], None] = print,
    wait_s: float = WAIT_S,
) -> tokens.Profile:
    """Run the code + PKCE flow; store and return the signed-in profile."""
    pkce, state = Pkce.new(), secrets.token_urlsafe(24)
    server = _listen(port)
    redirect_uri = f"http://localhost:{server.server_address[1]}{CALLBACK_PATH}"
    url = authorize_url(domain, client_id, redirect_uri, state, pkce)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        echo(
            "Sign in in your browser (password and authenticator code). If it doesn't open, visit:"
        )
        echo(f"  {url}")
        open_browser(url)
        if not server.done.wait(wait_s):  # type: ignore[attr-defined]
            raise HeraldError(f"no sign-in within {int(wait_s)} s: run herald login again")
    finally:
        server.shutdown()
        server.server_close()
    result = server.result  # type: ignore[attr-defined]
    if result.get("state") != state:
        raise HeraldError("the sign-in answer's state doesn't match: not this login, ignored")
    if "code" not in result:
        raise HeraldError(
            f"sign-in failed: {result.get('error_description') or result.get('error', '?')}"
        )
    answer = tokens.token_request(
        domain,
        {
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": result["code"],
            "redirect_uri": redirect_uri,
            "code_verifier": pkce.verifier,
        },
    )
    profile = tokens.profile_from(api, domain, client_id, answer, None)
    tokens.save(profile)
    return profile
