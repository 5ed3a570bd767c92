"""Channels and categories: where a message goes and which guardrails apply to it."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """A content channel. email, sms and push are *sent* (the contact policy applies); web is
    shown in a placement (offers), never sent."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WEB = "web"


MESSAGE_CHANNELS: tuple[Channel, ...] = (Channel.EMAIL, Channel.SMS, Channel.PUSH)
CONTENT_CHANNELS: tuple[Channel, ...] = tuple(Channel)

# Each channel's template fields: name -> required?
CHANNEL_FIELDS: dict[Channel, dict[str, bool]] = {
    Channel.EMAIL: {"subject": True, "html": False, "text": False, "from_name": False},
    Channel.SMS: {"text": True},
    Channel.PUSH: {"title": False, "body": True, "data": False},
    Channel.WEB: {"headline": False, "body": False, "cta_url": False, "image_url": False},
}
HTML_FIELDS = frozenset({"html"})  # autoescaped: customer data can't inject markup
HEADER_FIELDS: dict[Channel, frozenset[str]] = {
    # Rendered into a single-line protocol field (an email header, a push title): a CR or LF
    # from customer or event data must never reach the provider.
    Channel.EMAIL: frozenset({"subject", "from_name"}),
    Channel.PUSH: frozenset({"title"}),
}


class Category(StrEnum):
    """Marketing messages respect consent, suppression, caps and quiet hours; transactional
    messages respect consent and suppression only."""

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"


class PushPlatform(StrEnum):
    APNS = "apns"
    FCM = "fcm"
