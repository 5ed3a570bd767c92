"""How the console signs in: the configuration the page reads as ``/console/config.json``.

``{"auth": "local"}`` under ``herald local serve`` (a page that makes the local bearer), or
``{"auth": "cognito", "domain", "client_id", "redirect_uri", "logout_uri"}`` deployed (the
hosted UI, authorization code flow with PKCE). The template writes it to an SSM parameter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from herald.aws.parameters import ParameterUnavailable
from herald.aws.parameters import text as parameter_text
from herald.errors import HeraldError
from herald.observability import logger

DOMAIN = re.compile(r"^[a-z0-9.-]{1,253}$")
COGNITO_FIELDS = ("domain", "client_id", "redirect_uri", "logout_uri")


class ConsoleMisconfigured(HeraldError):
    """The sign-in configuration is missing or unreadable: the console can't sign anyone in."""

    code = "console_misconfigured"
    status = 503


@dataclass(frozen=True, slots=True)
class SignIn:
    auth: str  # local | cognito
    domain: str | None = None  # the hosted UI's host name
    client_id: str | None = None
    redirect_uri: str | None = None
    logout_uri: str | None = None

    def to_dict(self) -> dict:
        if self.auth == "local":
            return {"auth": "local"}
        return {
            "auth": self.auth,
            "domain": self.domain,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "logout_uri": self.logout_uri,
        }

    @property
    def connect_origins(self) -> tuple[str, ...]:
        """Origins the page calls besides its own (the hosted UI's token endpoint)."""
        return (f"https://{self.domain}",) if self.domain else ()


def parse(text: str) -> SignIn:
    """The stored configuration, checked (a broken one is said, not half-used)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConsoleMisconfigured("the console's sign-in configuration is not JSON") from exc
    auth = doc.get("auth") if isinstance(doc, dict) else None
    if auth == "local":
        return SignIn("local")
    if auth != "cognito":
        raise ConsoleMisconfigured(
            'the console\'s sign-in configuration needs auth "local" or "cognito"'
        )
    missing = [f for f in COGNITO_FIELDS if not isinstance(doc.get(f), str) or not doc[f]]
    if missing:
        raise ConsoleMisconfigured(
            f"the console's sign-in configuration lacks {', '.join(missing)}"
        )
    if not DOMAIN.match(doc["domain"]):
        raise ConsoleMisconfigured("the console's sign-in domain is not a host name")
    for field in ("redirect_uri", "logout_uri"):
        if not doc[field].startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConsoleMisconfigured(f"the console's {field} must be https")
    return SignIn("cognito", *(doc[f] for f in COGNITO_FIELDS))


MAX_AGE_S = 300  # a changed client or domain is picked up within five minutes


def load(parameter: str) -> SignIn:
    """The configuration kept in the SSM parameter named ``parameter`` (cached)."""
    try:
        return parse(parameter_text(parameter, max_age=MAX_AGE_S))
    except ParameterUnavailable as exc:
        logger.warning("console sign-in configuration unavailable", reason=str(exc))
        raise ConsoleMisconfigured(
            "the console's sign-in configuration can't be read: see the console function's log"
        ) from exc
