"""Customers: the profile (what rules and templates see) and the policy state Herald keeps
beside it (the contact log the caps count, suppression flags, the revision that locks writes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from herald.domain.channel import MESSAGE_CHANNELS, Channel, PushPlatform
from herald.domain.document import ValidationError, optional, require, unknown_keys
from herald.domain.goal import Exposures
from herald.domain.profile import NO_ACTIVITY, Activity

PROFILE_FIELDS = (
    "customer_id",
    "email",
    "phone",
    "push",
    "timezone",
    "locale",
    "consent",
    "attributes",
)
E164_PATTERN = re.compile(r"^\+[1-9]\d{6,14}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_CUSTOMER_ID = 128
MAX_PUSH_DEVICES = 20
# What Herald derives and adds to ``customer`` in rules, content and segments (never written by
# ``PUT /customers``): the profile schema's aggregates, activity, segment memberships.
DERIVED_FIELDS = ("aggregates", "first_seen", "last_seen", "event_counts", "segments", "reachable")


@dataclass(frozen=True, slots=True)
class PushDevice:
    platform: PushPlatform
    token: str
    endpoint_arn: str | None = None  # learned by the send function
    disabled: bool = False  # the platform told SNS the token is dead

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {"platform": str(self.platform), "token": self.token}
        if self.endpoint_arn:
            doc["endpoint_arn"] = self.endpoint_arn
        if self.disabled:
            doc["disabled"] = True
        return doc


@dataclass(frozen=True, slots=True)
class Customer:
    """A customer profile, as ``PUT /customers/{id}`` writes it and rules and templates read it."""

    customer_id: str
    email: str | None = None
    phone: str | None = None
    push: tuple[PushDevice, ...] = ()
    timezone: str | None = None
    locale: str | None = None
    consent: Mapping[str, bool] = field(default_factory=dict)
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict:
        return {
            "customer_id": self.customer_id,
            "email": self.email,
            "phone": self.phone,
            "push": [d.to_doc() for d in self.push],
            "timezone": self.timezone,
            "locale": self.locale,
            "consent": dict(self.consent),
            "attributes": dict(self.attributes),
        }

    def address(self, channel: str) -> str | None:
        """The email address or phone number for ``channel`` (push has devices instead)."""
        if channel == Channel.EMAIL:
            return self.email.lower() if self.email else None
        if channel == Channel.SMS:
            return self.phone
        return None

    def reachable_on(self, channel: str) -> bool:
        if channel == Channel.PUSH:
            return any(not d.disabled for d in self.push)
        return bool(self.address(channel))


def unknown_customer(customer_id: str) -> Customer:
    return Customer(customer_id)


@dataclass(slots=True)  # one per entry of every contact log read: not frozen, for speed
class Contact:
    """One marketing message in the contact log: the caps count these."""

    channel: str
    at: str  # ISO time


@dataclass(frozen=True)
class CustomerState:
    """A stored customer: the profile plus the state the contact policy reads.

    ``revision`` is bumped by every write and checked by the next (optimistic lock), so a
    profile upsert, a decision and a suppression never overwrite each other.
    """

    profile: Customer
    contact_log: tuple[Contact, ...] = ()
    suppressed: Mapping[str, str] = field(default_factory=dict)  # channel -> reason
    revision: int = 0
    exposures: Exposures = field(default_factory=dict)  # rule id -> recent exposures (goals)
    activity: Activity = NO_ACTIVITY  # the aggregates' day buckets (herald.domain.profile)
    aggregates: Mapping[str, Any] = field(default_factory=dict)  # their values, last computed
    segments: tuple[str, ...] = ()  # the segments the customer is a member of

    @property
    def customer_id(self) -> str:
        return self.profile.customer_id

    @cached_property
    def context(self) -> dict:
        """The profile as rules and templates see it (``customer.attributes.tier``), with what
        Herald derives (``customer.aggregates.orders_90d``, ``customer.segments``)."""
        from herald.domain.segment import reachability  # noqa: PLC0415 — small, pure

        doc = self.profile.to_doc()
        doc.update(
            aggregates=dict(self.aggregates),
            first_seen=self.activity.first_seen,
            last_seen=self.activity.last_seen,
            event_counts=dict(self.activity.event_counts),
            segments=list(self.segments),
            reachable=reachability(doc, dict(self.suppressed)),
        )
        return doc


def fresh(profile: Customer) -> CustomerState:
    """The state of a profile with no history (previews, simulations of unsaved customers)."""
    return CustomerState(profile)


def _push_devices(value: Any) -> tuple[PushDevice, ...]:
    if len(value) > MAX_PUSH_DEVICES:
        raise ValidationError(f"push has more than {MAX_PUSH_DEVICES} devices", field="push")
    devices = []
    for i, device in enumerate(value):
        p = f"push[{i}]."
        if not isinstance(device, dict):
            raise ValidationError(f"push[{i}] must be an object", field=f"push[{i}]")
        unknown_keys(device, {"platform", "token", "endpoint_arn"}, p)
        platform = require(device, "platform", str, p)
        if platform not in tuple(PushPlatform):
            raise ValidationError(f"{p}platform must be apns or fcm", field=f"{p}platform")
        token = require(device, "token", str, p)
        if not token or len(token) > 4096:
            raise ValidationError(f"{p}token is empty or too long", field=f"{p}token")
        devices.append(PushDevice(PushPlatform(platform), token))
    return tuple(devices)


def _timezone(value: str | None) -> str | None:
    if value is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 — rare path

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            f"unknown IANA time zone {value[:64]!r} (e.g. Europe/Paris)", field="timezone"
        ) from exc
    return value


def parse_customer(doc: Any, customer_id: str | None = None) -> Customer:
    """Validate a customer profile (``PUT /customers/{id}`` body, or an inline preview)."""
    if not isinstance(doc, dict):
        raise ValidationError("a customer must be an object", field="customer")
    unknown_keys(doc, frozenset(PROFILE_FIELDS))
    cid = customer_id or doc.get("customer_id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= MAX_CUSTOMER_ID:
        raise ValidationError(
            f"customer_id must be 1-{MAX_CUSTOMER_ID} characters of text", field="customer_id"
        )
    email = optional(doc, "email", str)
    if email is not None and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
        raise ValidationError("email is not an email address", field="email")
    phone = optional(doc, "phone", str)
    if phone is not None and not E164_PATTERN.match(phone):
        raise ValidationError("phone must be E.164, e.g. +14155550100", field="phone")
    consent = optional(doc, "consent", dict, default={})
    for channel, value in consent.items():
        if channel not in MESSAGE_CHANNELS or not isinstance(value, bool):
            raise ValidationError(
                f"consent.{channel} must be true or false, for email, sms or push",
                field=f"consent.{channel}",
            )
    return Customer(
        customer_id=cid,
        email=email,
        phone=phone,
        push=_push_devices(optional(doc, "push", list, default=[])),
        timezone=_timezone(optional(doc, "timezone", str)),
        locale=optional(doc, "locale", str),
        consent=dict(consent),
        attributes=dict(optional(doc, "attributes", dict, default={})),
    )


def stored_customer(doc: Mapping[str, Any], customer_id: str) -> Customer:
    """A profile from its stored document (validated when it was written: no checks here)."""
    push = tuple(
        PushDevice(
            d.get("platform", "apns"),
            d.get("token", ""),
            d.get("endpoint_arn"),
            bool(d.get("disabled")),
        )
        for d in doc.get("push") or ()
    )
    return Customer(
        customer_id=doc.get("customer_id") or customer_id,
        email=doc.get("email"),
        phone=doc.get("phone"),
        push=push,
        timezone=doc.get("timezone"),
        locale=doc.get("locale"),
        consent=doc.get("consent") or {},
        attributes=doc.get("attributes") or {},
    )


def with_attributes(profile: Customer, values: Mapping[str, Any]) -> Customer:
    """The profile with ``values`` set among its attributes (``update_profile``)."""
    return replace(profile, attributes={**profile.attributes, **values})


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    """What a write changes on a stored customer; None leaves that part as it is."""

    profile: Customer | None = None
    suppressed: Mapping[str, str] | None = None
    contact_log: tuple[Contact, ...] | None = None
    exposures: Exposures | None = None
    activity: Activity | None = None
    aggregates: Mapping[str, Any] | None = None
    segments: tuple[str, ...] | None = None

    def __bool__(self) -> bool:
        return not (
            self.profile is None
            and self.suppressed is None
            and self.contact_log is None
            and self.exposures is None
            and self.activity is None
            and self.aggregates is None
            and self.segments is None
        )
