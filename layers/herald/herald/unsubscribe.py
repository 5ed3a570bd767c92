"""One-click unsubscribe tokens: ``base64url(customer_id|channel).hmac`` signed with a key from
Secrets Manager, so a link can't be forged or altered to unsubscribe someone else."""

from __future__ import annotations

import base64
import hashlib
import hmac

from herald.errors import Forbidden
from herald.settings import settings

_keys: dict[str, bytes] = {}


def signing_key() -> bytes:
    """The HMAC key (cached per container; powertools caches the secret as well)."""
    name = settings().unsubscribe_key_param
    key = _keys.get(name)
    if key is None:
        from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 — rarely cold

        key = _keys[name] = str(parameters.get_secret(name, max_age=3600)).encode()
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(customer_id: str, channel: str, key: bytes) -> str:
    payload = f"{customer_id}\x1f{channel}".encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(token: str, key: bytes) -> tuple[str, str]:
    """(customer_id, channel) of a valid token; :class:`Forbidden` for anything else."""
    try:
        payload_b64, mac_b64 = token.split(".", 1)
        payload = _unb64(payload_b64)
        mac = _unb64(mac_b64)
    except ValueError as exc:
        raise Forbidden("invalid unsubscribe link") from exc
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(mac, expected):
        raise Forbidden("invalid unsubscribe link")
    customer_id, _, channel = payload.decode("utf-8", "replace").partition("\x1f")
    return customer_id, channel


def url_for(customer_id: str, channel: str) -> str | None:
    base = settings().unsubscribe_base_url
    if not base or not settings().unsubscribe_key_param:
        return None
    return f"{base.rstrip('/')}/{sign(customer_id, channel, signing_key())}"
