"""Domain objects: rule, action, content, customer, event, message.

Documents (YAML files, admin API bodies, DynamoDB items) become these frozen objects through
``parse_rule`` / ``parse_content`` / ``parse_customer`` / ``parse_event``, which raise
:class:`~herald.errors.ValidationError` naming the offending field. Inside Herald, code trusts
these objects.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from herald.errors import BadEvent, ValidationError

ID_PATTERN = re.compile(r"^[a-z0-9-]{1,64}$")
EVENT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
E164_PATTERN = re.compile(r"^\+[1-9]\d{6,14}$")
CONTENT_REF_PATTERN = re.compile(r"^([a-z0-9-]{1,64})(?:@([1-9]\d{0,8}))?$")

CHANNELS = ("email", "sms", "push")  # message channels (the contact policy applies)
CONTENT_CHANNELS = (*CHANNELS, "web")  # web = offers shown in a placement, never "sent"
CATEGORIES = ("marketing", "transactional")
PRIORITIES = ("high", "normal", "low")
PUSH_PLATFORMS = ("apns", "fcm")
CHANNEL_FIELDS = {
    "email": {"subject": True, "html": False, "text": False, "from_name": False},
    "sms": {"text": True},
    "push": {"title": False, "body": True, "data": False},
    "web": {"headline": False, "body": False, "cta_url": False, "image_url": False},
}
MAX_RULE_ACTIONS = 20


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(ts: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``: the one time format Herald stores and compares."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(value: Any, field_name: str) -> datetime:
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(
                f"{field_name} is not an ISO-8601 time: {value!r}", field=field_name
            ) from exc
    else:
        raise ValidationError(f"{field_name} must be an ISO-8601 time string", field=field_name)
    if ts.tzinfo is None:
        raise ValidationError(
            f"{field_name} needs a time zone (e.g. a trailing Z)", field=field_name
        )
    return ts.astimezone(UTC)


def _require(doc: dict, key: str, kind: type | tuple, path: str) -> Any:
    if key not in doc or doc[key] is None:
        raise ValidationError(f"{path}{key} is required", field=f"{path}{key}")
    value = doc[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValidationError(f"{path}{key} has the wrong type", field=f"{path}{key}")
    return value


def _optional(doc: dict, key: str, kind: type | tuple, path: str, default: Any = None) -> Any:
    value = doc.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
        raise ValidationError(f"{path}{key} has the wrong type", field=f"{path}{key}")
    return value


def check_id(value: Any, field_name: str = "id") -> str:
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise ValidationError(
            f"{field_name} must match [a-z0-9-]{{1,64}}, got {value!r}", field=field_name
        )
    return value


def _unknown_keys(doc: dict, allowed: set[str], path: str) -> None:
    extra = sorted(set(doc) - allowed)
    if extra:
        raise ValidationError(f"unknown field {path}{extra[0]}", field=f"{path}{extra[0]}")


# --------------------------------------------------------------------------- content refs


@dataclass(frozen=True, slots=True)
class ContentRef:
    """``content-id`` (the published version at decision time) or ``content-id@3`` (pinned)."""

    id: str
    version: int | None = None

    @classmethod
    def parse(cls, value: Any, field_name: str) -> ContentRef:
        if not isinstance(value, str) or not (m := CONTENT_REF_PATTERN.match(value)):
            raise ValidationError(
                f"{field_name} must be a content id, optionally @version: {value!r}",
                field=field_name,
            )
        return cls(m.group(1), int(m.group(2)) if m.group(2) else None)

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}@{self.version}"


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True, slots=True)
class Variant:
    content: ContentRef
    weight: float


@dataclass(frozen=True, slots=True)
class SendAction:
    channel: str
    content: ContentRef
    variants: tuple[Variant, ...] = ()
    holdout: float = 0.0
    kind: str = "send"

    def content_refs(self) -> list[ContentRef]:
        return [self.content, *(v.content for v in self.variants)]


@dataclass(frozen=True, slots=True)
class OfferAction:
    placement: str
    content: ContentRef
    value: Any = None
    kind: str = "offer"

    def content_refs(self) -> list[ContentRef]:
        return [self.content]


@dataclass(frozen=True, slots=True)
class RouteAction:
    queue: str
    priority: str = "normal"
    reason: str | None = None
    kind: str = "route"

    def content_refs(self) -> list[ContentRef]:
        return []


@dataclass(frozen=True, slots=True)
class AlertAction:
    topic: str
    message: str
    kind: str = "alert"

    def content_refs(self) -> list[ContentRef]:
        return []


@dataclass(frozen=True, slots=True)
class UpdateProfileAction:
    set: dict
    kind: str = "update_profile"

    def content_refs(self) -> list[ContentRef]:
        return []


Action = SendAction | OfferAction | RouteAction | AlertAction | UpdateProfileAction
ACTION_KINDS = ("send", "offer", "route", "alert", "update_profile")


def _parse_action(doc: Any, path: str) -> Action:
    if not isinstance(doc, dict) or len(doc) != 1:
        raise ValidationError(
            f"{path} must be a single-key mapping, one of {', '.join(ACTION_KINDS)}", field=path
        )
    kind, body = next(iter(doc.items()))
    p = f"{path}.{kind}."
    if kind not in ACTION_KINDS:
        raise ValidationError(f"{path}: unknown action {kind!r}", field=f"{path}.{kind}")
    if not isinstance(body, dict):
        raise ValidationError(f"{path}.{kind} must be a mapping", field=f"{path}.{kind}")
    if kind == "send":
        _unknown_keys(body, {"channel", "content", "variants", "holdout"}, p)
        channel = _require(body, "channel", str, p)
        if channel not in CHANNELS:
            raise ValidationError(
                f"{p}channel must be one of {', '.join(CHANNELS)}, got {channel!r}",
                field=f"{p}channel",
            )
        content = ContentRef.parse(_require(body, "content", str, p), f"{p}content")
        variants = []
        for i, v in enumerate(_optional(body, "variants", list, p, [])):
            vp = f"{p}variants[{i}]."
            if not isinstance(v, dict):
                raise ValidationError(f"{vp[:-1]} must be a mapping", field=vp[:-1])
            _unknown_keys(v, {"content", "weight"}, vp)
            weight = _require(v, "weight", (int, float), vp)
            if weight <= 0:
                raise ValidationError(f"{vp}weight must be > 0", field=f"{vp}weight")
            variants.append(
                Variant(ContentRef.parse(_require(v, "content", str, vp), f"{vp}content"), weight)
            )
        holdout = float(_optional(body, "holdout", (int, float), p, 0.0))
        if not 0.0 <= holdout < 1.0:
            raise ValidationError(f"{p}holdout must be in [0, 1)", field=f"{p}holdout")
        return SendAction(channel, content, tuple(variants), holdout)
    if kind == "offer":
        _unknown_keys(body, {"placement", "content", "value"}, p)
        return OfferAction(
            _require(body, "placement", str, p),
            ContentRef.parse(_require(body, "content", str, p), f"{p}content"),
            body.get("value"),
        )
    if kind == "route":
        _unknown_keys(body, {"queue", "priority", "reason"}, p)
        priority = _optional(body, "priority", str, p, "normal")
        if priority not in PRIORITIES:
            raise ValidationError(
                f"{p}priority must be one of {', '.join(PRIORITIES)}", field=f"{p}priority"
            )
        return RouteAction(
            _require(body, "queue", str, p), priority, _optional(body, "reason", str, p)
        )
    if kind == "alert":
        _unknown_keys(body, {"topic", "message"}, p)
        return AlertAction(_require(body, "topic", str, p), _require(body, "message", str, p))
    _unknown_keys(body, {"set"}, p)
    values = _require(body, "set", dict, p)
    if not values:
        raise ValidationError(f"{p}set must not be empty", field=f"{p}set")
    return UpdateProfileAction(dict(values))


def _parse_actions(value: Any, path: str) -> tuple[Action, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValidationError(f"{path} must be a list of actions", field=path)
    if len(value) > MAX_RULE_ACTIONS:
        raise ValidationError(f"{path} has more than {MAX_RULE_ACTIONS} actions", field=path)
    return tuple(_parse_action(a, f"{path}[{i}]") for i, a in enumerate(value))


# --------------------------------------------------------------------------- rules

RULE_FIELDS = {"id", "name", "on", "priority", "when", "then", "else", "category", "active"}


@dataclass(frozen=True, slots=True)
class Rule:
    """One version of a treatment rule."""

    id: str
    name: str
    on: str
    priority: int
    when: str | None
    then: tuple[Action, ...]
    else_: tuple[Action, ...] = ()
    category: str = "marketing"
    active_from: datetime | None = None
    active_until: datetime | None = None
    version: int = 1

    def content_refs(self) -> list[tuple[str, ContentRef, str | None]]:
        """Every (field, content ref, channel) the rule's actions use, for save-time checks."""
        refs = []
        for branch, actions in (("then", self.then), ("else", self.else_)):
            for i, action in enumerate(actions):
                channel = action.channel if isinstance(action, SendAction) else None
                if isinstance(action, OfferAction):
                    channel = "web"
                for ref in action.content_refs():
                    refs.append((f"{branch}[{i}].{action.kind}.content", ref, channel))
        return refs

    def is_active(self, now: datetime) -> bool:
        if self.active_from and now < self.active_from:
            return False
        return not (self.active_until and now > self.active_until)

    def to_doc(self) -> dict:
        """The rule as the document a marketer writes (inverse of :func:`parse_rule`)."""
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "on": self.on,
            "priority": self.priority,
        }
        if self.when is not None:
            doc["when"] = self.when
        doc["then"] = [action_to_doc(a) for a in self.then]
        if self.else_:
            doc["else"] = [action_to_doc(a) for a in self.else_]
        doc["category"] = self.category
        if self.active_from or self.active_until:
            doc["active"] = {
                k: iso(v)
                for k, v in (("from", self.active_from), ("until", self.active_until))
                if v
            }
        return doc


def action_to_doc(action: Action) -> dict:
    if isinstance(action, SendAction):
        body: dict[str, Any] = {"channel": action.channel, "content": str(action.content)}
        if action.variants:
            body["variants"] = [
                {"content": str(v.content), "weight": v.weight} for v in action.variants
            ]
        if action.holdout:
            body["holdout"] = action.holdout
    elif isinstance(action, OfferAction):
        body = {"placement": action.placement, "content": str(action.content)}
        if action.value is not None:
            body["value"] = action.value
    elif isinstance(action, RouteAction):
        body = {"queue": action.queue, "priority": action.priority}
        if action.reason:
            body["reason"] = action.reason
    elif isinstance(action, AlertAction):
        body = {"topic": action.topic, "message": action.message}
    else:
        body = {"set": dict(action.set)}
    return {action.kind: body}


def parse_rule(doc: Any, version: int = 1) -> Rule:
    """Validate a rule document's shape (expressions and content refs are checked elsewhere)."""
    if not isinstance(doc, dict):
        raise ValidationError("a rule must be a mapping", field="rule")
    if True in doc:
        raise ValidationError(
            "'on' was read as the boolean true (a YAML 1.1 parser): load YAML with "
            "`herald rules validate` or quote the key",
            field="on",
        )
    _unknown_keys(doc, RULE_FIELDS, "")
    rule_id = check_id(doc.get("id"))
    name = _require(doc, "name", str, "")
    if not name.strip() or len(name) > 200:
        raise ValidationError("name must be 1-200 characters", field="name")
    on = _require(doc, "on", str, "")
    if not EVENT_NAME_PATTERN.match(on):
        raise ValidationError(f"on is not a valid event name: {on!r}", field="on")
    priority = _optional(doc, "priority", int, "", 0)
    when = _optional(doc, "when", str, "")
    if when is not None and not when.strip():
        when = None
    then = _parse_actions(doc.get("then"), "then")
    if not then:
        raise ValidationError("then needs at least one action", field="then")
    else_ = _parse_actions(doc.get("else"), "else")
    category = _optional(doc, "category", str, "", "marketing")
    if category not in CATEGORIES:
        raise ValidationError(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    active_from = active_until = None
    active = doc.get("active")
    if active is not None:
        if not isinstance(active, dict):
            raise ValidationError("active must be a mapping {from, until}", field="active")
        _unknown_keys(active, {"from", "until"}, "active.")
        if active.get("from") is not None:
            active_from = parse_time(active["from"], "active.from")
        if active.get("until") is not None:
            active_until = parse_time(active["until"], "active.until")
        if active_from and active_until and active_until <= active_from:
            raise ValidationError("active.until must be after active.from", field="active.until")
    return Rule(
        id=rule_id,
        name=name,
        on=on,
        priority=priority,
        when=when,
        then=then,
        else_=else_,
        category=category,
        active_from=active_from,
        active_until=active_until,
        version=version,
    )


# --------------------------------------------------------------------------- content

CONTENT_FIELDS = {"id", "name", "channels", "locales"}


def _check_channel_block(channel: Any, block: Any, path: str) -> None:
    if channel not in CONTENT_CHANNELS:
        raise ValidationError(
            f"unknown channel {channel!r} (one of {', '.join(CONTENT_CHANNELS)})",
            field=f"{path}{channel}",
        )
    if not isinstance(block, dict):
        raise ValidationError(f"{path}{channel} must be a mapping", field=f"{path}{channel}")
    fields = CHANNEL_FIELDS[channel]
    _unknown_keys(block, set(fields), f"{path}{channel}.")
    for name, value in block.items():
        fp = f"{path}{channel}.{name}"
        if name == "data":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ValidationError(f"{fp} must map strings to strings", field=fp)
        elif not isinstance(value, str):
            raise ValidationError(f"{fp} must be a string", field=fp)


@dataclass(frozen=True, slots=True)
class Content:
    """One version of a piece of content: Liquid templates per channel, locale overrides."""

    id: str
    channels: dict
    locales: dict = field(default_factory=dict)
    name: str | None = None
    version: int = 1

    def block(self, channel: str, locale: str | None) -> dict:
        """The channel's template fields, with the locale's overrides (``fr-CA`` → ``fr``)."""
        base = self.channels[channel]
        if locale:
            for key in (locale, locale.split("-")[0].split("_")[0]):
                override = self.locales.get(key, {}).get(channel)
                if override:
                    return {**base, **override}
        return base

    def to_doc(self) -> dict:
        doc: dict[str, Any] = {"id": self.id}
        if self.name:
            doc["name"] = self.name
        doc["channels"] = self.channels
        if self.locales:
            doc["locales"] = self.locales
        return doc


def parse_content(doc: Any, version: int = 1) -> Content:
    """Validate a content document's shape (Liquid syntax is checked by herald.rendering)."""
    if not isinstance(doc, dict):
        raise ValidationError("content must be a mapping", field="content")
    _unknown_keys(doc, CONTENT_FIELDS, "")
    content_id = check_id(doc.get("id"))
    name = _optional(doc, "name", str, "")
    channels = _require(doc, "channels", dict, "")
    if not channels:
        raise ValidationError("channels needs at least one channel", field="channels")
    for channel, block in channels.items():
        _check_channel_block(channel, block, "channels.")
        for required, needed in CHANNEL_FIELDS[channel].items():
            if needed and not block.get(required):
                raise ValidationError(
                    f"channels.{channel}.{required} is required",
                    field=f"channels.{channel}.{required}",
                )
        if channel == "email" and not (block.get("html") or block.get("text")):
            raise ValidationError(
                "channels.email needs html or text (ideally both)", field="channels.email"
            )
    locales = _optional(doc, "locales", dict, "", {})
    for locale, blocks in locales.items():
        lp = f"locales.{locale}"
        if not isinstance(locale, str) or not re.match(
            r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$", locale
        ):
            raise ValidationError(f"{lp} is not a locale tag", field=lp)
        if not isinstance(blocks, dict):
            raise ValidationError(f"{lp} must be a mapping of channels", field=lp)
        for channel, block in blocks.items():
            _check_channel_block(channel, block, f"{lp}.")
            if channel not in channels:
                raise ValidationError(
                    f"{lp}.{channel} overrides a channel the content lacks", field=f"{lp}.{channel}"
                )
    return Content(content_id, dict(channels), dict(locales), name, version)


# --------------------------------------------------------------------------- customers

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
CUSTOMER_FIELDS = frozenset(PROFILE_FIELDS)


def profile(customer_doc: dict) -> dict:
    """The profile part of a stored customer document (without the policy state: contact log,
    suppression flags, revision, stats), as templates, rules and profile writes see it."""
    return {k: customer_doc.get(k) for k in PROFILE_FIELDS}


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    email: str | None = None
    phone: str | None = None
    push: tuple[dict, ...] = ()
    timezone: str | None = None
    locale: str | None = None
    consent: dict = field(default_factory=dict)
    attributes: dict = field(default_factory=dict)

    def to_doc(self) -> dict:
        return {
            "customer_id": self.customer_id,
            "email": self.email,
            "phone": self.phone,
            "push": [dict(p) for p in self.push],
            "timezone": self.timezone,
            "locale": self.locale,
            "consent": dict(self.consent),
            "attributes": dict(self.attributes),
        }


def parse_customer(doc: Any, customer_id: str | None = None) -> Customer:
    """Validate a customer profile (``PUT /customers/{id}`` body, or a stored item)."""
    if not isinstance(doc, dict):
        raise ValidationError("a customer must be a mapping", field="customer")
    _unknown_keys(doc, CUSTOMER_FIELDS, "")
    cid = customer_id or doc.get("customer_id")
    if not isinstance(cid, str) or not 1 <= len(cid) <= 128:
        raise ValidationError("customer_id must be a 1-128 character string", field="customer_id")
    email = _optional(doc, "email", str, "")
    if email is not None and (
        len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)
    ):
        raise ValidationError("email is not an email address", field="email")
    phone = _optional(doc, "phone", str, "")
    if phone is not None and not E164_PATTERN.match(phone):
        raise ValidationError("phone must be E.164, e.g. +14155550100", field="phone")
    push = []
    for i, device in enumerate(_optional(doc, "push", list, "", [])):
        p = f"push[{i}]."
        if not isinstance(device, dict):
            raise ValidationError(f"push[{i}] must be a mapping", field=f"push[{i}]")
        _unknown_keys(device, {"platform", "token", "endpoint_arn"}, p)
        platform = _require(device, "platform", str, p)
        if platform not in PUSH_PLATFORMS:
            raise ValidationError(f"{p}platform must be apns or fcm", field=f"{p}platform")
        token = _require(device, "token", str, p)
        if not token or len(token) > 4096:
            raise ValidationError(f"{p}token is empty or too long", field=f"{p}token")
        push.append({"platform": platform, "token": token})
    timezone = _optional(doc, "timezone", str, "")
    if timezone is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 — rare path

        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationError(f"unknown IANA time zone {timezone!r}", field="timezone") from exc
    consent = _optional(doc, "consent", dict, "", {})
    for channel, value in consent.items():
        if channel not in CHANNELS or not isinstance(value, bool):
            raise ValidationError(
                f"consent.{channel} must be a boolean for email, sms or push",
                field=f"consent.{channel}",
            )
    return Customer(
        customer_id=cid,
        email=email,
        phone=phone,
        push=tuple(push),
        timezone=timezone,
        locale=_optional(doc, "locale", str, ""),
        consent=dict(consent),
        attributes=dict(_optional(doc, "attributes", dict, "", {})),
    )


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Event:
    """A customer event: ``name`` is the EventBridge detail-type, ``detail`` its fields."""

    name: str
    customer_id: str
    event_id: str
    occurred_at: str
    detail: dict
    source: str = "unknown"


def parse_eventbridge(envelope: Any) -> Event:
    """An EventBridge envelope → :class:`Event`; raises :class:`BadEvent` if unusable."""
    if not isinstance(envelope, dict):
        raise BadEvent("event is not a JSON object", field="event")
    name = envelope.get("detail-type")
    if not isinstance(name, str) or not EVENT_NAME_PATTERN.match(name):
        raise BadEvent(
            f"detail-type is missing or not an event name: {name!r}", field="detail-type"
        )
    detail = envelope.get("detail")
    if not isinstance(detail, dict):
        raise BadEvent("detail must be a JSON object", field="detail")
    customer_id = detail.get("customer_id")
    if not isinstance(customer_id, str) or not 1 <= len(customer_id) <= 128:
        raise BadEvent("detail.customer_id is missing or not a string", field="detail.customer_id")
    event_id = detail.get("event_id") or envelope.get("id")
    if not isinstance(event_id, str) or not 1 <= len(event_id) <= 128:
        raise BadEvent(
            "the event has no usable id (detail.event_id or id)", field="detail.event_id"
        )
    occurred_at = detail.get("occurred_at") or envelope.get("time") or iso(utcnow())
    if not isinstance(occurred_at, str):
        raise BadEvent("detail.occurred_at must be an ISO time string", field="detail.occurred_at")
    return Event(
        name=name,
        customer_id=customer_id,
        event_id=event_id,
        occurred_at=occurred_at,
        detail=detail,
        source=str(envelope.get("source", "unknown")),
    )


# --------------------------------------------------------------------------- messages


def message_id_for(event_id: str, rule_id: str, branch: str, index: int) -> str:
    """Deterministic id: a replayed event maps to the same message, so it can't send twice."""
    key = f"{event_id}\x1f{rule_id}\x1f{branch}\x1f{index}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


@dataclass(slots=True)
class Message:
    message_id: str
    customer_id: str
    event_id: str
    event_name: str
    rule_id: str
    rule_version: int
    content_id: str
    content_version: int
    channel: str
    category: str
    status: str
    created_at: str
    updated_at: str
    reason: str | None = None
    provider_id: str | None = None
    send_at: str | None = None
    event: dict = field(default_factory=dict)
    attempts: int = 0
