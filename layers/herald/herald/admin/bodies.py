"""The admin API's request and response bodies (pydantic), checked at the edge by the event
handler and described in ``GET /admin/openapi.json``.

They mirror the domain documents (:mod:`herald.domain`) field for field — same names, types,
patterns and limits, taken from the domain's own constants — so a body valid against the
OpenAPI document is one the domain accepts structurally. What JSON Schema can't say (a ZEN
condition's meaning, Liquid syntax, that a content exists, that a time zone is a real one) the
domain checks next, answering 422 with the field and the reason.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from herald.domain.action import MAX_RULE_ACTIONS, MAX_VARIANTS
from herald.domain.channel import Category
from herald.domain.content import CONTENT_REF_PATTERN, LOCALE_PATTERN
from herald.domain.customer import E164_PATTERN, MAX_CUSTOMER_ID, MAX_PUSH_DEVICES
from herald.domain.document import EVENT_NAME_PATTERN, ID_PATTERN
from herald.domain.rule import MAX_PRIORITY
from herald.domain.version import MAX_VERSION

MAX_TEXT = 100_000  # one template field; the body limit (256 KB) bounds the whole document
MAX_CONDITION = 4096


class Body(BaseModel):
    """Unknown fields are refused (a typo must not be silently dropped); types are strict
    (``"100"`` is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


Id = Annotated[str, Field(pattern=ID_PATTERN.pattern, description="[a-z0-9-]{1,64}")]
ContentRef = Annotated[
    str, Field(pattern=CONTENT_REF_PATTERN.pattern, description="content id, optionally @version")
]
EventName = Annotated[str, Field(pattern=EVENT_NAME_PATTERN.pattern)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Template = Annotated[str, Field(max_length=MAX_TEXT, description="a Liquid template")]
NonEmptyTemplate = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
MessageChannel = Literal["email", "sms", "push"]


# --------------------------------------------------------------------------- actions


class Variant(Body):
    content: ContentRef
    weight: float = Field(gt=0, le=1_000_000)


class Send(Body):
    channel: MessageChannel
    content: ContentRef
    variants: list[Variant] = Field(default_factory=list, max_length=MAX_VARIANTS)
    holdout: float = Field(0.0, ge=0, lt=1, description="share of customers held out, [0, 1)")


class Offer(Body):
    placement: str = Field(min_length=1, max_length=128)
    content: ContentRef
    value: Any = None


class Route(Body):
    queue: str = Field(min_length=1, max_length=128)
    priority: Literal["high", "normal", "low"] = "normal"
    reason: str | None = Field(None, max_length=1000)


class Alert(Body):
    topic: str = Field(min_length=1, max_length=128)
    message: str = Field(min_length=1, max_length=4000)


class UpdateProfile(Body):
    set: dict[str, Any] = Field(min_length=1, description="attributes to set on the profile")


class SendAction(Body):
    send: Send


class OfferAction(Body):
    offer: Offer


class RouteAction(Body):
    route: Route


class AlertAction(Body):
    alert: Alert


class UpdateProfileAction(Body):
    update_profile: UpdateProfile


def _action_kind(value: Any) -> str | None:
    """The action's one key (a document), or the one field (a validated action)."""
    if isinstance(value, dict) and len(value) == 1:
        return next(iter(value))
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


Action = Annotated[
    Annotated[SendAction, Tag("send")]
    | Annotated[OfferAction, Tag("offer")]
    | Annotated[RouteAction, Tag("route")]
    | Annotated[AlertAction, Tag("alert")]
    | Annotated[UpdateProfileAction, Tag("update_profile")],
    Discriminator(_action_kind),
]


# --------------------------------------------------------------------------- rules


class ActiveWindow(Body):
    from_: str | None = Field(None, alias="from", json_schema_extra={"format": "date-time"})
    until: str | None = Field(None, json_schema_extra={"format": "date-time"})


class Rule(Body):
    """A treatment rule (one version)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    id: Id
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    on: EventName = Field(description="the event name the rule listens to")
    priority: int = Field(0, ge=-MAX_PRIORITY, le=MAX_PRIORITY, description="higher first")
    when: str | None = Field(
        None,
        max_length=MAX_CONDITION,
        description="a ZEN expression over event, customer and now; true or false",
    )
    then: list[Action] = Field(min_length=1, max_length=MAX_RULE_ACTIONS)
    else_: list[Action] = Field(default_factory=list, alias="else", max_length=MAX_RULE_ACTIONS)
    category: Literal["marketing", "transactional"] = Category.MARKETING.value
    active: ActiveWindow | None = None


class RuleDraft(Rule):
    """A new draft version: the rule, and the version the editor started from."""

    id: Id | None = None  # type: ignore[assignment]  # the URL names it
    expected_version: Version


# --------------------------------------------------------------------------- contents


class Email(Body):
    subject: NonEmptyTemplate
    html: NonEmptyTemplate | None = None
    text: NonEmptyTemplate | None = None
    from_name: Template | None = None

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"anyOf": [{"required": ["html"]}, {"required": ["text"]}]},
    )

    @model_validator(mode="after")
    def _html_or_text(self) -> Email:
        if not (self.html or self.text):
            raise ValueError("an email needs html or text (ideally both)")
        return self


class Sms(Body):
    text: NonEmptyTemplate


class Push(Body):
    title: Template | None = None
    body: NonEmptyTemplate
    data: dict[str, Template] | None = None


class Web(Body):
    headline: Template | None = None
    body: Template | None = None
    cta_url: Template | None = None
    image_url: Template | None = None


class Channels(Body):
    email: Email | None = None
    sms: Sms | None = None
    push: Push | None = None
    web: Web | None = None

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _at_least_one(self) -> Channels:
        if not self.model_fields_set:
            raise ValueError("channels needs at least one channel")
        return self


class EmailOverride(Body):
    subject: Template | None = None
    html: Template | None = None
    text: Template | None = None
    from_name: Template | None = None


class SmsOverride(Body):
    text: Template | None = None


class PushOverride(Body):
    title: Template | None = None
    body: Template | None = None
    data: dict[str, Template] | None = None


class LocaleOverrides(Body):
    """A locale's overrides of the content's channels (only channels the content has)."""

    email: EmailOverride | None = None
    sms: SmsOverride | None = None
    push: PushOverride | None = None
    web: Web | None = None


Locale = Annotated[str, Field(pattern=LOCALE_PATTERN.pattern)]


class Content(Body):
    """A piece of content (one version): Liquid templates per channel, locale overrides."""

    id: Id
    name: str | None = Field(None, max_length=200)
    channels: Channels
    locales: dict[Locale, LocaleOverrides] = Field(default_factory=dict)


class ContentDraft(Content):
    id: Id | None = None  # type: ignore[assignment]
    expected_version: Version


class VersionChoice(Body):
    """Which version to make live."""

    version: Version


# --------------------------------------------------------------------------- customers, events


class PushDevice(Body):
    platform: Literal["apns", "fcm"]
    token: str = Field(min_length=1, max_length=4096)


class Consent(Body):
    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None


class Profile(Body):
    """A customer profile, inline (nothing is stored)."""

    customer_id: str | None = Field(None, min_length=1, max_length=MAX_CUSTOMER_ID)
    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(None, pattern=E164_PATTERN.pattern)
    push: list[PushDevice] | None = Field(None, max_length=MAX_PUSH_DEVICES)
    timezone: str | None = Field(None, max_length=64, description="an IANA time zone")
    locale: str | None = Field(None, max_length=35)
    consent: Consent | None = None
    attributes: dict[str, Any] | None = None


CustomerRef = Annotated[str, Field(min_length=1, max_length=MAX_CUSTOMER_ID)]


class Preview(Body):
    """Render a content version for a customer (a stored one by id, or an inline profile)."""

    customer: Profile | CustomerRef | None = None
    event: dict[str, Any] = Field(default_factory=dict, description="the event's fields")
    version: Version | None = Field(None, description="default: the latest version")


class SimulatedEvent(Body):
    type: EventName
    customer_id: CustomerRef
    event_id: str | None = Field(None, min_length=1, max_length=128)
    data: dict[str, Any] = Field(default_factory=dict)


class EventBridgeEnvelope(Body):
    """An event as EventBridge delivers it to the decide function."""

    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)

    detail_type: EventName = Field(alias="detail-type")
    detail: dict[str, Any]
    id: str | None = Field(None, min_length=1, max_length=128)
    source: str | None = None
    time: str | None = None


class Simulation(Body):
    """Decide an event as the decide function would, with draft versions in place of the live
    ones; nothing is written or sent."""

    event: SimulatedEvent | EventBridgeEnvelope = Field(
        description="{type, customer_id, data} as POST /events takes it, or an EventBridge event"
    )
    customer: Profile | CustomerRef | None = Field(
        None, description="default: the stored customer of event.customer_id"
    )
    rules: dict[Id, Version] = Field(default_factory=dict, description="rule id -> version")
    contents: dict[Id, Version] = Field(default_factory=dict, description="content id -> version")
    now: str | None = Field(None, json_schema_extra={"format": "date-time"})


# --------------------------------------------------------------------------- contact policy


_TIME = r"T(\d+H(\d+M)?(\d+S)?|\d+M(\d+S)?|\d+S)"  # no look-arounds: pydantic's regex is Rust's
Duration = Annotated[
    str,
    Field(
        pattern=rf"^P(\d+W(\d+D)?({_TIME})?|\d+D({_TIME})?|{_TIME})$",
        description="ISO-8601 duration, 1 second to 366 days (P7D, PT12H)",
    ),
]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, 24h")]


class QuietHours(Body):
    start: Clock
    end: Clock
    channels: list[MessageChannel] = Field(default_factory=lambda: ["sms", "push"])


class Cap(Body):
    channel: Literal["email", "sms", "push", "any"]
    max: int = Field(ge=0, le=1000)
    per: Duration


class Policy(Body):
    """The contact policy. GET's answer may be sent back as is (its read-only fields are
    ignored); ``expected_version`` guards against a lost update."""

    consent_required: bool = True
    quiet_hours: QuietHours | None = None
    caps: list[Cap] = Field(default_factory=list, max_length=20)
    default_timezone: str = Field("UTC", max_length=64, description="an IANA time zone")
    max_messages_per_event: int = Field(1, ge=0, le=10)
    expected_version: int | None = Field(None, ge=0, le=MAX_VERSION)
    version: int | None = Field(None, description="read-only: ignored")
    updated_at: str | None = Field(None, description="read-only: ignored")
    updated_by: str | None = Field(None, description="read-only: ignored")


# --------------------------------------------------------------------------- errors


class ErrorDetail(BaseModel):
    code: str = Field(description="a stable machine-readable name, e.g. invalid_expression")
    message: str = Field(description="what is wrong, in words a marketer can act on")
    field: str | None = Field(None, description="the JSON path of the offending input")


class Error(BaseModel):
    error: ErrorDetail


class Warning(BaseModel):
    code: str
    message: str
    field: str
    line: int | None = None
    column: int | None = None
