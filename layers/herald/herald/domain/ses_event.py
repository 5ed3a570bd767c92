"""SES events as the configuration set publishes them to EventBridge (source ``aws.ses``).

Each event is ``{"detail-type": "Email Delivered", "detail": {"eventType": "Delivery", "mail":
{..., "tags": {name: [value]}}, "delivery": {...}}}``; samples of every type are in
``events/ses/``. :func:`parse` turns one into an :class:`~herald.domain.outcome.Outcome`, or
raises :class:`BadEvent` (parked with the reason) for anything that isn't one.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any

from herald.domain.event import BadEvent
from herald.domain.outcome import Outcome, OutcomeKind, ref_from_tags

SOURCE = "aws.ses"
# detail.eventType -> (the detail's key for the specifics, the outcome)
EVENT_TYPES: dict[str, tuple[str, OutcomeKind]] = {
    "Send": ("send", OutcomeKind.SENT),
    "Reject": ("reject", OutcomeKind.FAILED),
    "Delivery": ("delivery", OutcomeKind.DELIVERED),
    "Bounce": ("bounce", OutcomeKind.BOUNCED),
    "Complaint": ("complaint", OutcomeKind.COMPLAINED),
    "DeliveryDelay": ("deliveryDelay", OutcomeKind.DELAYED),
    "Rendering Failure": ("failure", OutcomeKind.FAILED),
    "Open": ("open", OutcomeKind.OPENED),
    "Click": ("click", OutcomeKind.CLICKED),
    "Subscription": ("subscription", OutcomeKind.UNSUBSCRIBED),
}
DETAIL_TYPES = {
    "Email Sent": "Send",
    "Email Rejected": "Reject",
    "Email Delivered": "Delivery",
    "Email Bounced": "Bounce",
    "Email Complaint Received": "Complaint",
    "Email Delivery Delayed": "DeliveryDelay",
    "Email Rendering Failed": "Rendering Failure",
    "Email Opened": "Open",
    "Email Clicked": "Click",
    "Email Subscribed": "Subscription",
}


def is_ses_event(envelope: Any) -> bool:
    return isinstance(envelope, dict) and envelope.get("source") == SOURCE


def _addresses(entries: Any) -> tuple[str, ...]:
    found = []
    for entry in entries if isinstance(entries, list) else []:
        raw = entry.get("emailAddress") if isinstance(entry, dict) else None
        address = parseaddr(raw)[1].strip().lower() if isinstance(raw, str) else ""
        if "@" in address:
            found.append(address)
    return tuple(found)


def parse(envelope: Any) -> Outcome | None:
    """The outcome an SES EventBridge event reports (``ref`` None: not Herald's mail); None for
    what is not counted here: Send (the send function counted the send when SES accepted it)
    and subscription changes that are not opt-outs."""
    if not isinstance(envelope, dict):
        raise BadEvent("the SES event is not a JSON object")
    detail = envelope.get("detail")
    if not isinstance(detail, dict):
        raise BadEvent("the SES event has no detail object")
    event_type = detail.get("eventType") or DETAIL_TYPES.get(str(envelope.get("detail-type")))
    if event_type not in EVENT_TYPES:
        raise BadEvent(f"unknown SES event type {str(event_type)[:40]!r}")
    key, kind = EVENT_TYPES[event_type]
    if kind == OutcomeKind.SENT:
        return None
    mail = detail.get("mail")
    if not isinstance(mail, dict):
        raise BadEvent(f"the SES {event_type} event has no mail object")
    specifics = detail.get(key) if isinstance(detail.get(key), dict) else {}
    at = specifics.get("timestamp") or envelope.get("time") or mail.get("timestamp")
    if not isinstance(at, str):
        raise BadEvent(f"the SES {event_type} event has no timestamp")
    addresses: tuple[str, ...] = ()
    if kind == OutcomeKind.BOUNCED:
        if specifics.get("bounceType") != "Permanent":
            kind = OutcomeKind.SOFT_BOUNCED  # Transient / Undetermined: a later send may work
        else:
            addresses = _addresses(specifics.get("bouncedRecipients"))
    elif kind == OutcomeKind.COMPLAINED:
        addresses = _addresses(specifics.get("complainedRecipients"))
    elif kind == OutcomeKind.UNSUBSCRIBED and not _unsubscribed(specifics):
        return None  # an opt-in or a preference kept
    tags = mail.get("tags") if isinstance(mail.get("tags"), dict) else {}
    provider_id = mail.get("messageId") if isinstance(mail.get("messageId"), str) else None
    return Outcome(kind, at, ref_from_tags(tags), addresses=addresses, provider_id=provider_id)


def _unsubscribed(subscription: dict) -> bool:
    """An SES ``Subscription`` event opts out when a topic's new preference is OPT_OUT or the
    contact unsubscribed from all."""
    new = subscription.get("newTopicPreferences")
    if not isinstance(new, dict):
        return False
    if new.get("unsubscribeAll") is True:
        return True
    topics = new.get("topicSubscriptionStatus")
    return isinstance(topics, list) and any(
        isinstance(t, dict) and t.get("subscriptionStatus") == "OptOut" for t in topics
    )
