"""Sign-in tokens of the ``herald`` CLI: where they are kept, what they say, how they are renewed.

``herald login`` writes one profile per API to ``$XDG_CONFIG_HOME/herald/credentials.json``
(``~/.config/herald/credentials.json``), readable by its owner only (0600, in a 0700 folder),
outside any repository. A profile holds the hosted sign-in domain, the CLI client id, the
Cognito tokens and when the ID token expires; :func:`bearer` renews an expired ID token with
the refresh token (the OAuth token endpoint: no browser, no password) and saves it.

Tokens are never printed or logged: commands print who is signed in and until when.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from herald.errors import HeraldError

EXPIRY_MARGIN_S = 60  # renew a token this long before it expires
HTTP_TIMEOUT_S = 30


class SignInError(HeraldError):
    """No usable sign-in: never signed in, expired beyond renewal, or the token endpoint refused."""

    code = "sign_in"


@dataclass
class Profile:
    api: str
    domain: str  # https://<prefix>.auth.<region>.amazoncognito.com
    client_id: str
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_at: float  # epoch seconds, the ID token's

    def who(self) -> str:
        claims = claims_of(self.id_token) or {}
        name = claims.get("email") or claims.get("cognito:username") or "?"
        groups = ",".join(sorted(groups_of(self.id_token) or ())) or "no group"
        until = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.expires_at))
        return f"{name} ({groups}), token valid until {until}"


def store_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "herald" / "credentials.json"


def _key(api: str) -> str:
    return api.rstrip("/")


def _read_all() -> dict[str, Any]:
    path = store_path()
    if not path.exists():
        return {"profiles": {}, "default": None}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SignInError(f"{path} is not valid JSON: delete it and run herald login") from exc


def save(profile: Profile) -> Path:
    """Store ``profile`` (and make its API the default) in a file only its owner can read."""
    path = store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    data = _read_all()
    data["profiles"][_key(profile.api)] = asdict(profile)
    data["default"] = _key(profile.api)
    # Created 0600 before anything is written, so the tokens are never readable by others.
    descriptor = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
    os.replace(path.with_suffix(".tmp"), path)
    path.chmod(0o600)
    return path


def load(api: str | None = None) -> Profile | None:
    """The profile for ``api`` (default: the last one signed in to), or None."""
    data = _read_all()
    key = _key(api) if api else data.get("default")
    found = data["profiles"].get(key) if key else None
    return Profile(**found) if found else None


def claims_of(token: str) -> dict | None:
    """The claims of a JWT, unverified (the API verifies; the CLI only reads groups and expiry)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


def groups_of(token: str) -> frozenset[str] | None:
    """The caller's groups as the admin API will see them, or None when the token doesn't say.

    Locally ``local:<user>:<group>[,<group>]``; deployed, the ID token's ``cognito:groups``.
    """
    raw = token.removeprefix("Bearer ").strip()
    if raw.startswith("local:"):
        parts = raw.split(":", 2)
        return frozenset(g for g in (parts[2] if len(parts) == 3 else "").split(",") if g)
    claims = claims_of(raw)
    if claims is None:
        return None
    groups = claims.get("cognito:groups") or []
    return frozenset(groups if isinstance(groups, list) else str(groups).split(","))


def token_request(domain: str, form: dict[str, str]) -> dict:
    """POST to the hosted domain's OAuth token endpoint; the decoded answer."""
    request = urllib.request.Request(
        f"{domain.rstrip('/')}/oauth2/token",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            error = json.loads(exc.read() or b"{}").get("error", exc.reason)
        except ValueError:
            error = exc.reason
        raise SignInError(f"the sign-in domain refused the token request: {error}") from exc
    except urllib.error.URLError as exc:
        raise SignInError(f"{domain}: {exc.reason}") from exc


def profile_from(api: str, domain: str, client_id: str, answer: dict, refresh: str | None):
    """A profile from a token endpoint's answer (a refresh answer carries no refresh token)."""
    if "id_token" not in answer:
        raise SignInError("the sign-in domain answered without an ID token")
    claims = claims_of(answer["id_token"]) or {}
    expires_at = float(claims.get("exp") or time.time() + int(answer.get("expires_in", 3600)))
    return Profile(
        api=api,
        domain=domain,
        client_id=client_id,
        id_token=answer["id_token"],
        access_token=answer.get("access_token", ""),
        refresh_token=answer.get("refresh_token") or refresh,
        expires_at=expires_at,
    )


def refreshed(profile: Profile) -> Profile:
    """``profile`` with a new ID token from its refresh token (saved)."""
    if not profile.refresh_token:
        raise SignInError(f"the sign-in for {profile.api} expired: run herald login again")
    try:
        answer = token_request(
            profile.domain,
            {
                "grant_type": "refresh_token",
                "client_id": profile.client_id,
                "refresh_token": profile.refresh_token,
            },
        )
    except SignInError as exc:
        raise SignInError(f"{exc.message}; run herald login again") from exc
    renewed = profile_from(
        profile.api, profile.domain, profile.client_id, answer, profile.refresh_token
    )
    save(renewed)
    return renewed


def bearer(api: str | None = None) -> tuple[str, str]:
    """(API URL, ID token) of the stored sign-in, renewed if it is about to expire."""
    profile = load(api)
    if profile is None:
        where = f" for {api}" if api else ""
        raise SignInError(f"not signed in{where}: run herald login (or pass --token)")
    if profile.expires_at - EXPIRY_MARGIN_S <= time.time():
        profile = refreshed(profile)
    return profile.api, profile.id_token
