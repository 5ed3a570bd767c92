"""Actions: what a rule does when it matches (``then``) or doesn't (``else``).

``send`` produces a message (arbitrated by the contact policy); ``offer`` a placement's offer;
``route``, ``alert`` and ``update_profile`` are effects that always run. Where each kind takes
effect is one table: :data:`herald.service.actions.EFFECTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from herald.domain.channel import MESSAGE_CHANNELS, Channel
from herald.domain.content import ContentRef
from herald.domain.document import ValidationError, optional, require, unknown_keys

MAX_RULE_ACTIONS = 20
MAX_VARIANTS = 20
MAX_SALT = 64


class ActionKind(StrEnum):
    SEND = "send"
    OFFER = "offer"
    ROUTE = "route"
    ALERT = "alert"
    UPDATE_PROFILE = "update_profile"


class RoutePriority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


@dataclass(frozen=True, slots=True)
class Variant:
    content: ContentRef
    weight: float


@dataclass(frozen=True, slots=True)
class SendAction:
    channel: Channel
    content: ContentRef
    variants: tuple[Variant, ...] = ()
    holdout: float = 0.0
    salt: str = ""  # a new salt re-draws every customer's arm: a new experiment
    kind = ActionKind.SEND

    def content_refs(self) -> list[ContentRef]:
        return [self.content, *(v.content for v in self.variants)]

    @property
    def is_experiment(self) -> bool:
        return bool(self.variants) or self.holdout > 0

    def to_doc(self) -> dict:
        body: dict[str, Any] = {"channel": str(self.channel), "content": str(self.content)}
        if self.variants:
            body["variants"] = [
                {"content": str(v.content), "weight": v.weight} for v in self.variants
            ]
        if self.holdout:
            body["holdout"] = self.holdout
        if self.salt:
            body["salt"] = self.salt
        return {self.kind.value: body}


@dataclass(frozen=True, slots=True)
class OfferAction:
    placement: str
    content: ContentRef
    value: Any = None
    kind = ActionKind.OFFER

    def content_refs(self) -> list[ContentRef]:
        return [self.content]

    def to_doc(self) -> dict:
        body: dict[str, Any] = {"placement": self.placement, "content": str(self.content)}
        if self.value is not None:
            body["value"] = self.value
        return {self.kind.value: body}


@dataclass(frozen=True, slots=True)
class RouteAction:
    queue: str
    priority: RoutePriority = RoutePriority.NORMAL
    reason: str | None = None
    kind = ActionKind.ROUTE

    def content_refs(self) -> list[ContentRef]:
        return []

    def to_doc(self) -> dict:
        body: dict[str, Any] = {"queue": self.queue, "priority": str(self.priority)}
        if self.reason:
            body["reason"] = self.reason
        return {self.kind.value: body}


@dataclass(frozen=True, slots=True)
class AlertAction:
    topic: str
    message: str
    kind = ActionKind.ALERT

    def content_refs(self) -> list[ContentRef]:
        return []

    def to_doc(self) -> dict:
        return {self.kind.value: {"topic": self.topic, "message": self.message}}


@dataclass(frozen=True, slots=True)
class UpdateProfileAction:
    set: dict
    kind = ActionKind.UPDATE_PROFILE

    def content_refs(self) -> list[ContentRef]:
        return []

    def to_doc(self) -> dict:
        return {self.kind.value: {"set": dict(self.set)}}


Action = SendAction | OfferAction | RouteAction | AlertAction | UpdateProfileAction
Effect = RouteAction | AlertAction | UpdateProfileAction  # run whether or not a message goes out


def _one_of(value: Any, choices: tuple, path: str) -> Any:
    if value not in choices:
        raise ValidationError(
            f"{path} must be one of {', '.join(map(str, choices))}, got {value!r}", field=path
        )
    return value


def _send(body: dict, p: str) -> SendAction:
    unknown_keys(body, {"channel", "content", "variants", "holdout", "salt"}, p)
    channel = _one_of(require(body, "channel", str, p), MESSAGE_CHANNELS, f"{p}channel")
    content = ContentRef.parse(require(body, "content", str, p), f"{p}content")
    raw_variants = optional(body, "variants", list, p, [])
    if len(raw_variants) > MAX_VARIANTS:
        raise ValidationError(f"{p}variants has more than {MAX_VARIANTS}", field=f"{p}variants")
    variants = []
    for i, v in enumerate(raw_variants):
        vp = f"{p}variants[{i}]."
        if not isinstance(v, dict):
            raise ValidationError(f"{vp[:-1]} must be an object", field=vp[:-1])
        unknown_keys(v, {"content", "weight"}, vp)
        weight = require(v, "weight", (int, float), vp)
        if not 0 < weight <= 1_000_000:
            raise ValidationError(f"{vp}weight must be > 0", field=f"{vp}weight")
        ref = ContentRef.parse(require(v, "content", str, vp), f"{vp}content")
        if any(str(other.content) == str(ref) for other in variants):
            # Arms are named by their content: two variants of one content can't be told apart.
            raise ValidationError(
                f"{vp}content: {ref} is already a variant (each variant needs its own content)",
                field=f"{vp}content",
            )
        variants.append(Variant(ref, weight))
    holdout = float(optional(body, "holdout", (int, float), p, 0.0))
    if not 0.0 <= holdout < 1.0:
        raise ValidationError(f"{p}holdout must be in [0, 1)", field=f"{p}holdout")
    salt = optional(body, "salt", str, p, "")
    if len(salt) > MAX_SALT:
        raise ValidationError(f"{p}salt is longer than {MAX_SALT}", field=f"{p}salt")
    return SendAction(Channel(channel), content, tuple(variants), holdout, salt)


def _offer(body: dict, p: str) -> OfferAction:
    unknown_keys(body, {"placement", "content", "value"}, p)
    return OfferAction(
        require(body, "placement", str, p),
        ContentRef.parse(require(body, "content", str, p), f"{p}content"),
        body.get("value"),
    )


def _route(body: dict, p: str) -> RouteAction:
    unknown_keys(body, {"queue", "priority", "reason"}, p)
    priority = _one_of(
        optional(body, "priority", str, p, "normal"), tuple(RoutePriority), f"{p}priority"
    )
    return RouteAction(
        require(body, "queue", str, p), RoutePriority(priority), optional(body, "reason", str, p)
    )


def _alert(body: dict, p: str) -> AlertAction:
    unknown_keys(body, {"topic", "message"}, p)
    return AlertAction(require(body, "topic", str, p), require(body, "message", str, p))


def _update_profile(body: dict, p: str) -> UpdateProfileAction:
    unknown_keys(body, {"set"}, p)
    values = require(body, "set", dict, p)
    if not values:
        raise ValidationError(f"{p}set must not be empty", field=f"{p}set")
    return UpdateProfileAction(dict(values))


_PARSERS = {
    ActionKind.SEND: _send,
    ActionKind.OFFER: _offer,
    ActionKind.ROUTE: _route,
    ActionKind.ALERT: _alert,
    ActionKind.UPDATE_PROFILE: _update_profile,
}


def parse_action(doc: Any, path: str) -> Action:
    """``{kind: {...}}`` → the action; errors name ``path`` (``then[0]``) and the field."""
    if not isinstance(doc, dict) or len(doc) != 1:
        raise ValidationError(
            f"{path} must be an object with one key, one of {', '.join(ActionKind)}", field=path
        )
    kind, body = next(iter(doc.items()))
    if kind not in _PARSERS:
        raise ValidationError(f"{path}: unknown action {kind!r}", field=f"{path}.{kind}")
    if not isinstance(body, dict):
        raise ValidationError(f"{path}.{kind} must be an object", field=f"{path}.{kind}")
    return _PARSERS[ActionKind(kind)](body, f"{path}.{kind}.")


def parse_actions(value: Any, path: str) -> tuple[Action, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValidationError(f"{path} must be a list of actions", field=path)
    if len(value) > MAX_RULE_ACTIONS:
        raise ValidationError(f"{path} has more than {MAX_RULE_ACTIONS} actions", field=path)
    return tuple(parse_action(a, f"{path}[{i}]") for i, a in enumerate(value))
