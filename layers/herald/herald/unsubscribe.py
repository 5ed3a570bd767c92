"""One-click unsubscribe (RFC 8058): signed links, the opt-out itself, and its two small pages.

A link carries a token signed with HMAC-SHA256 (truncated to 128 bits), so it can't be forged
or altered to unsubscribe someone else. Links sent by mail are clicked for years, so the key
is a *keyring* that rotates without breaking them.

Tokens: ``<kid>.<nonce>.<sealed>.<mac>``: ``sealed`` is ``customer_id \x1f channel \x1f
message_id`` encrypted (an HMAC-SHA256 keystream under a key derived from ``keys[kid]``, with a
synthetic nonce: the HMAC of the plaintext), so a link never shows whose it is; ``mac`` is
``base64url(HMAC(mac key, "<kid>.<nonce>.<sealed>")[:16])``. The message id says which message
the customer unsubscribed from, so the opt-out counts against its rule. Tokens sent before
(``<kid>.<payload>.<mac>`` with a readable payload, and ``<payload>.<mac>`` from before
keyrings, verified against the legacy key ``k0``) still verify.

The keyring is the secret ``UNSUBSCRIBE_KEY_PARAM`` names, a JSON document::

    {"active": "k2", "keys": {"k0": "…", "k1": "…", "k2": "…"}}

Signing uses the active key; verifying, the key the token names (an unknown kid → 403, as a
tampered token). A plain-string secret (the format before keyrings, and what template.yaml's
``GenerateSecretString`` creates) is a keyring of one key, ``k0``, active. Each container
caches the secret for ``KEYRING_MAX_AGE_S`` (powertools); a token naming a key the cached
keyring lacks makes it read the secret again at once, at most every ``KEYRING_REFRESH_S``.

Rotating the key:

1. ``herald keys rotate --aws-endpoint aws --secret-id <ARN of the stack's UnsubscribeKey>``
   (without them: the local stack's). It adds a random key ``k<n+1>``, makes it active and
   keeps every older key; a plain-string secret becomes ``{"active": "k1", "keys": {"k0":
   <the old string>, "k1": <new>}}``, so links already sent keep verifying as ``k0``.
2. Nothing to deploy: containers sign with the new key once their cached keyring expires
   (within ``KEYRING_MAX_AGE_S``), and until then their links, signed with the previous key,
   stay valid. A link signed with the new key verifies everywhere at once (the re-read above).
3. Keep old keys: a key removed from ``keys`` turns every link it signed into a 403. Remove
   one only when it leaked (never the active one), and accept that its links stop working.

Don't change ``GenerateSecretString`` in template.yaml: CloudFormation would generate a new
plain string over the keyring, and every link sent until then would stop verifying.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import secrets as randomness
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

from herald.aws import secrets
from herald.dal import customers
from herald.domain.channel import MESSAGE_CHANNELS as CHANNELS
from herald.domain.customer import CustomerState, CustomerUpdate
from herald.domain.document import ValidationError
from herald.errors import HeraldError
from herald.runtime import register_cache
from herald.settings import settings

UNSUBSCRIBED = "unsubscribed"
LEGACY_KID = "k0"  # the key of a plain-string secret, and of tokens that name none
KID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # URL-safe, and no "." (the token's separator)
KEYRING_MAX_AGE_S = 3600
KEYRING_REFRESH_S = 60  # at most one re-read per container per minute, whatever links arrive
MAC_BYTES = 16
NEW_KEY_BYTES = 48  # 64 characters of base64url


class KeyringError(ValueError):
    """The secret is not a keyring: a deployment mistake, not a bad link (no 403 for it)."""


class InvalidLink(HeraldError):
    """A tampered, garbled or foreign unsubscribe token: 403, whatever the cause."""

    code = "forbidden"
    status = 403


class UnknownKey(InvalidLink):
    """A token naming a key the keyring lacks (answered as any invalid link: 403)."""


@dataclass(frozen=True)
class Keyring:
    """The signing keys by kid, and which one signs."""

    active: str
    keys: Mapping[str, str] = field(repr=False)  # secret material: never in a log line

    @classmethod
    def parse(cls, secret: str) -> Keyring:
        """The keyring a secret holds: a JSON keyring, or a plain string (one key, ``k0``)."""
        text = secret.strip()
        if not text:
            raise KeyringError("the unsubscribe key secret is empty")
        if not text.startswith("{"):
            return cls(LEGACY_KID, {LEGACY_KID: text})
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise KeyringError(f"the unsubscribe keyring is not valid JSON: {exc}") from exc
        keys, active = doc.get("keys"), doc.get("active")
        if not isinstance(keys, dict) or not keys:
            raise KeyringError('the unsubscribe keyring needs "keys": {kid: key, ...}')
        for kid, key in keys.items():
            if not KID.fullmatch(kid) or not isinstance(key, str) or not key:
                raise KeyringError(f"the unsubscribe keyring's key {kid[:40]!r} is malformed")
        if active not in keys:
            raise KeyringError(f'the unsubscribe keyring\'s "active" ({active!r}) is not a key')
        return cls(active, dict(keys))

    @classmethod
    def new(cls) -> Keyring:
        """A keyring of one random key, ``k1`` (``k0`` is the legacy key: none here)."""
        return cls("k1", {"k1": _new_key()})

    def rotated(self) -> Keyring:
        """This keyring plus a new random key, active; every older key still verifies."""
        numbers = [int(kid[1:]) for kid in self.keys if re.fullmatch(r"k[0-9]{1,9}", kid)]
        kid = f"k{max(numbers, default=0) + 1}"
        return Keyring(kid, {**self.keys, kid: _new_key()})

    def to_secret(self) -> str:
        return json.dumps({"active": self.active, "keys": dict(self.keys)})

    def key(self, kid: str) -> bytes:
        """The key named ``kid``; :class:`UnknownKey` if there is none."""
        key = self.keys.get(kid)
        if key is None:
            raise UnknownKey("invalid unsubscribe link")
        return key.encode()


def _new_key() -> str:
    return randomness.token_urlsafe(NEW_KEY_BYTES)


class _KeyringRefresh:
    """When this container last re-read the keyring for a token naming a key it lacked."""

    def __init__(self) -> None:
        self.at: float | None = None

    def clear(self) -> None:
        self.at = None

    def allowed(self, now: float) -> bool:
        if self.at is not None and now - self.at < KEYRING_REFRESH_S:
            return False
        self.at = now
        return True


_refresh = register_cache(_KeyringRefresh())


def keyring(*, refresh: bool = False) -> Keyring:
    """The signing keyring (cached per container; ``refresh`` reads it again)."""
    name = settings().unsubscribe_key_param
    return _parse_keyring(secrets.text(name, max_age=KEYRING_MAX_AGE_S, refresh=refresh))


@lru_cache(maxsize=4)
def _parse_keyring(secret: str) -> Keyring:
    return Keyring.parse(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: bytes) -> bytes:
    return hmac.new(key, signed, hashlib.sha256).digest()[:MAC_BYTES]


NONCE_BYTES = 12


def _derived(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"herald unsubscribe " + purpose, hashlib.sha256).digest()


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
        for i in range((length + 31) // 32)
    )
    return b"".join(blocks)[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def sign(
    customer_id: str, channel: str, key: bytes, kid: str = LEGACY_KID, message_id: str = ""
) -> str:
    """A sealed token for (customer, channel, message), signed with ``key`` as ``kid``."""
    plain = f"{customer_id}\x1f{channel}\x1f{message_id}".encode()
    mac_key, enc_key = _derived(key, b"mac"), _derived(key, b"encryption")
    nonce = _mac(mac_key, plain)[:NONCE_BYTES]  # synthetic: the same link for the same message
    sealed = _xor(plain, _keystream(enc_key, nonce, len(plain)))
    signed = f"{kid}.{_b64(nonce)}.{_b64(sealed)}"
    return f"{signed}.{_b64(_mac(mac_key, signed.encode()))}"


def _open_sealed(token: str, keys: Keyring) -> tuple[str, str, str]:
    kid, nonce_b64, sealed_b64, mac_b64 = token.split(".")
    if not KID.fullmatch(kid):
        raise InvalidLink("invalid unsubscribe link")
    key = keys.key(kid)
    mac_key = _derived(key, b"mac")
    try:
        nonce, sealed, mac = _unb64(nonce_b64), _unb64(sealed_b64), _unb64(mac_b64)
    except ValueError as exc:
        raise InvalidLink("invalid unsubscribe link") from exc
    signed = f"{kid}.{nonce_b64}.{sealed_b64}".encode()
    if len(nonce) != NONCE_BYTES or not hmac.compare_digest(mac, _mac(mac_key, signed)):
        raise InvalidLink("invalid unsubscribe link")
    plain = _xor(sealed, _keystream(_derived(key, b"encryption"), nonce, len(sealed)))
    customer_id, _, rest = plain.decode("utf-8", "replace").partition("\x1f")
    channel, _, message_id = rest.partition("\x1f")
    return customer_id, channel, message_id


def verify(token: str, keys: Keyring) -> tuple[str, str]:
    """(customer_id, channel) of a token signed by one of ``keys``; :class:`InvalidLink` else
    (:class:`UnknownKey` when it names a key the keyring lacks)."""
    customer_id, channel, _ = verify_link(token, keys)
    return customer_id, channel


def verify_link(token: str, keys: Keyring) -> tuple[str, str, str]:
    """(customer_id, channel, message_id) of a token (message id "" for older tokens)."""
    parts = token.split(".")
    if len(parts) == 4:
        return _open_sealed(token, keys)
    if len(parts) == 3:
        kid, payload_b64, mac_b64 = parts
        signed = f"{kid}.{payload_b64}".encode()
    elif len(parts) == 2:  # issued before keyrings: no kid, the MAC over the raw payload
        kid, (payload_b64, mac_b64), signed = LEGACY_KID, parts, None
    else:
        raise InvalidLink("invalid unsubscribe link")
    if not KID.fullmatch(kid):
        raise InvalidLink("invalid unsubscribe link")
    key = keys.key(kid)
    try:
        payload = _unb64(payload_b64)
        mac = _unb64(mac_b64)
    except ValueError as exc:
        raise InvalidLink("invalid unsubscribe link") from exc
    if not hmac.compare_digest(mac, _mac(key, signed if signed is not None else payload)):
        raise InvalidLink("invalid unsubscribe link")
    customer_id, _, channel = payload.decode("utf-8", "replace").partition("\x1f")
    return customer_id, channel, ""


def url_for(customer_id: str, channel: str, message_id: str = "") -> str | None:
    base = settings().unsubscribe_base_url
    if not base or not settings().unsubscribe_key_param:
        return None
    keys = keyring()
    token = sign(customer_id, channel, keys.key(keys.active), keys.active, message_id)
    return f"{base.rstrip('/')}/{token}"


# --------------------------------------------------------------------------- unsubscribing


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    customer_id: str
    channels: tuple[str, ...]


def parse_token(token: str) -> tuple[str, str]:
    """(customer_id, channel) of a link Herald signed; :class:`InvalidLink` otherwise."""
    customer_id, channel, _ = parse_link(token)
    return customer_id, channel


def parse_link(token: str) -> tuple[str, str, str]:
    """(customer_id, channel, message_id) of a link Herald signed (message id "" for links
    sent before links named their message); :class:`InvalidLink` otherwise."""
    try:
        customer_id, channel, message_id = verify_link(token, keyring())
    except UnknownKey:
        # Signed by a container that already has a newer keyring than this one's cache.
        if not _refresh.allowed(time.monotonic()):
            raise
        customer_id, channel, message_id = verify_link(token, keyring(refresh=True))
    if channel not in CHANNELS or not customer_id:
        raise InvalidLink("invalid unsubscribe link")
    return customer_id, channel, message_id


def _count_against_its_rule(message_id: str) -> None:
    """The opt-out as an outcome of the message the link came in (its rule's figures)."""
    from herald.dal import outcomes, records  # noqa: PLC0415 — links from messages only
    from herald.domain.outcome import OutcomeKind, ref_of  # noqa: PLC0415

    message = records.get_message(message_id)
    if message is not None:
        outcomes.record(ref_of(message), OutcomeKind.UNSUBSCRIBED)


def unsubscribe(token: str, channels: list[str] | None = None) -> Unsubscribed:
    """Opt the token's customer out of ``channels`` (default: the token's own channel).

    Consent for each channel becomes false and the channel is flagged ``unsubscribed`` on the
    profile; email and SMS addresses also go on the suppression list (reason ``unsubscribed``),
    the record of the opt-out that a later profile upsert can't undo by accident. Idempotent.
    """
    customer_id, token_channel, message_id = parse_link(token)
    wanted = tuple(dict.fromkeys(channels or [token_channel]))
    for channel in wanted:
        if channel not in CHANNELS:
            raise ValidationError(f"unknown channel {channel!r}", field="channels")
    current = customers.get(customer_id)
    if current is None:
        return Unsubscribed(customer_id, wanted)  # nothing left to message
    for channel in wanted:
        address = current.profile.address(channel)
        if address:
            customers.suppress(address, channel, UNSUBSCRIBED)

    def opt_out(current: CustomerState) -> CustomerUpdate:
        consent = {**current.profile.consent, **dict.fromkeys(wanted, False)}
        return CustomerUpdate(
            profile=replace(current.profile, consent=consent),
            suppressed={**current.suppressed, **dict.fromkeys(wanted, UNSUBSCRIBED)},
        )

    customers.change(customer_id, opt_out)
    if message_id:
        _count_against_its_rule(message_id)
    return Unsubscribed(customer_id, wanted)


# --------------------------------------------------------------------------- pages

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
label{{display:block;margin:.4rem 0}}button{{margin-top:1rem;padding:.5rem 1.2rem}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"""
CHANNEL_LABELS = {"email": "Email", "sms": "Text messages (SMS)", "push": "Push notifications"}


def confirmation_page(token: str) -> str:
    """The GET page: which channels to stop, the token's own channel ticked; posts back."""
    _, channel = parse_token(token)
    boxes = "".join(
        f'<label><input type="checkbox" name="channels" value="{c}"'
        f"{' checked' if c == channel else ''}> {CHANNEL_LABELS[c]}</label>"
        for c in CHANNELS
    )
    body = (
        "<p>Choose what you no longer want to receive from us.</p>"
        f'<form method="post" action="{html.escape(token, quote=True)}">{boxes}'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _PAGE.format(title="Unsubscribe", body=body)


def done_page(result: Unsubscribed) -> str:
    names = ", ".join(CHANNEL_LABELS[c].lower() for c in result.channels)
    return _PAGE.format(
        title="You are unsubscribed",
        body=f"<p>You will no longer receive marketing {html.escape(names)} from us.</p>",
    )


def error_page(message: str) -> str:
    return _PAGE.format(title="Unsubscribe", body=f"<p>{html.escape(message)}</p>")
