"""What SES and SNS accepted on the local stack, read straight from moto's backends.

The moto server runs in this process, so its backends are plain Python objects here: SES keeps
every sent message, SNS every SMS and every publish to a platform (push) endpoint. Local only:
nothing like this exists, or should, on AWS.
"""

from __future__ import annotations

import email
import json
from email.message import Message
from email.utils import getaddresses
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import Message as SimpleMessage
from moto.ses.models import RawMessage, ses_backends
from moto.sns.models import sns_backends


def messages(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT_ID) -> list[dict]:
    """Every accepted message: ``{channel, recipient, subject_or_first_line, provider_id, body}``.

    Email first, then SMS, then push, each in the order the provider accepted them.
    """
    return [*emails(region, account), *sms(region, account), *push(region, account)]


def emails(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT_ID) -> list[dict]:
    """Messages SES (v1 or v2, raw MIME or simple) accepted."""
    out = []
    for sent in ses_backends[account][region].sent_messages:
        if isinstance(sent, RawMessage):
            out.append(_raw_email(sent))
        elif isinstance(sent, SimpleMessage):
            to = (sent.destinations or {}).get("ToAddresses") or []
            out.append(_record("email", ", ".join(to), sent.subject, sent.id, sent.body))
    return out


def _raw_email(sent: RawMessage) -> dict:
    mime = email.message_from_string(sent.raw_data)
    to = [address for _name, address in getaddresses(mime.get_all("To", []))]
    recipient = ", ".join(to) or ", ".join(sent.destinations)
    return _record("email", recipient, str(mime.get("Subject", "")), sent.id, _text_part(mime))


def _text_part(mime: Message) -> str:
    """The text/plain part (else the first text part) of a MIME message, decoded."""
    parts = [p for p in mime.walk() if p.get_content_maintype() == "text"]
    parts.sort(key=lambda p: p.get_content_subtype() != "plain")
    if not parts:
        return ""
    payload = parts[0].get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode(parts[0].get_content_charset() or "utf-8", errors="replace")
    return str(parts[0].get_payload())


def sms(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT_ID) -> list[dict]:
    """SMS that SNS accepted (publishes to a phone number)."""
    return [
        _record("sms", phone, _first_line(text), message_id, text)
        for message_id, (phone, text) in sns_backends[account][region].sms_messages.items()
    ]


def push(region: str = "us-east-1", account: str = DEFAULT_ACCOUNT_ID) -> list[dict]:
    """Publishes SNS accepted for platform (APNs/FCM) endpoints; recipient is the device token."""
    out = []
    for endpoint in sns_backends[account][region].platform_endpoints.values():
        for message_id, body in endpoint.messages.items():
            out.append(_record("push", endpoint.token, push_title(body), message_id, body))
    return out


def push_title(body: str) -> str:
    """A readable line from an SNS push publish: the alert title/body, whatever the platform."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return _first_line(body)
    if not isinstance(envelope, dict):
        return _first_line(body)
    for key in ("APNS", "APNS_SANDBOX", "GCM", "FCM"):
        if key in envelope:
            try:
                payload = json.loads(envelope[key])
            except (TypeError, ValueError):
                continue
            alert = (payload.get("aps") or {}).get("alert") if isinstance(payload, dict) else None
            note = _notification(payload)
            for candidate in (alert, note):
                if isinstance(candidate, dict) and (
                    candidate.get("title") or candidate.get("body")
                ):
                    return str(candidate.get("title") or candidate.get("body"))
                if isinstance(candidate, str) and candidate:
                    return _first_line(candidate)
    return _first_line(str(envelope.get("default", body)))


def _notification(payload: Any) -> Any:
    # FCM v1 nests the notification under "message"; legacy GCM has it at the top.
    if not isinstance(payload, dict):
        return None
    message = payload.get("message") if isinstance(payload.get("message"), dict) else payload
    return message.get("notification") or message.get("data")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _record(channel: str, recipient: str, line: str, provider_id: str, body: str) -> dict:
    return {
        "channel": channel,
        "recipient": recipient,
        "subject_or_first_line": line,
        "provider_id": provider_id,
        "body": body,
    }
