"""One-click unsubscribe (RFC 8058): signed links, the opt-out itself, and its two small pages.

Tokens are ``base64url(customer_id|channel).hmac`` signed with a key from Secrets Manager, so a
link can't be forged or altered to unsubscribe someone else."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from dataclasses import dataclass, replace

from herald.dal import customers
from herald.domain.channel import MESSAGE_CHANNELS as CHANNELS
from herald.domain.customer import CustomerState, CustomerUpdate
from herald.errors import Forbidden, ValidationError
from herald.settings import settings

UNSUBSCRIBED = "unsubscribed"

_keys: dict[str, bytes] = {}


def signing_key() -> bytes:
    """The HMAC key (cached per container; powertools caches the secret as well)."""
    name = settings().unsubscribe_key_param
    key = _keys.get(name)
    if key is None:
        from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 — first use only

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


# --------------------------------------------------------------------------- unsubscribing


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    customer_id: str
    channels: tuple[str, ...]


def parse_token(token: str) -> tuple[str, str]:
    """(customer_id, channel) of a link Herald signed; :class:`Forbidden` otherwise."""
    customer_id, channel = verify(token, signing_key())
    if channel not in CHANNELS or not customer_id:
        raise Forbidden("invalid unsubscribe link")
    return customer_id, channel


def unsubscribe(token: str, channels: list[str] | None = None) -> Unsubscribed:
    """Opt the token's customer out of ``channels`` (default: the token's own channel).

    Consent for each channel becomes false and the channel is flagged ``unsubscribed`` on the
    profile; email and SMS addresses also go on the suppression list (reason ``unsubscribed``),
    the record of the opt-out that a later profile upsert can't undo by accident. Idempotent.
    """
    customer_id, token_channel = parse_token(token)
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
