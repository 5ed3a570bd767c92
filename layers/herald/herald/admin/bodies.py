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

from herald.domain.action import MAX_RULE_ACTIONS, MAX_SALT, MAX_VARIANTS
from herald.domain.channel import Category
from herald.domain.content import CONTENT_REF_PATTERN, LOCALE_PATTERN
from herald.domain.customer import E164_PATTERN, MAX_CUSTOMER_ID, MAX_PUSH_DEVICES
from herald.domain.document import EVENT_NAME_PATTERN, ID_PATTERN
from herald.domain.goal import MAX_VALUE
from herald.domain.rule import MAX_PRIORITY
from herald.domain.version import MAX_VERSION

# A map whose keys have a pattern: JSON Schema's patternProperties alone would let any other key
# through, so the map is closed to keys that don't match.
CLOSED = {"additionalProperties": False}
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
_TIME = r"T(\d+H(\d+M)?(\d+S)?|\d+M(\d+S)?|\d+S)"  # no look-arounds: pydantic's regex is Rust's
Duration = Annotated[
    str,
    Field(
        pattern=rf"^P(\d+W(\d+D)?({_TIME})?|\d+D({_TIME})?|{_TIME})$",
        description="ISO-8601 duration, 1 second to 366 days (P7D, PT12H)",
    ),
]


# --------------------------------------------------------------------------- actions


class Variant(Body):
    content: ContentRef
    weight: float = Field(gt=0, le=1_000_000)


class Send(Body):
    channel: MessageChannel
    content: ContentRef
    variants: list[Variant] = Field(default_factory=list, max_length=MAX_VARIANTS)
    holdout: float = Field(0.0, ge=0, lt=1, description="share of customers held out, [0, 1)")
    salt: str = Field(
        "", max_length=MAX_SALT, description="a new salt re-draws every customer's arm"
    )


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


class Goal(Body):
    """What the rule is for: a later event of this name from the customer converts its most
    recent exposure within the window (once), adding ``value`` to its arm's revenue."""

    event: EventName
    within: Duration
    value: str | None = Field(
        None,
        max_length=MAX_VALUE,
        description="a ZEN expression giving a number, e.g. event.amount",
    )


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
    goal: Goal | None = None


class RuleDraft(Rule):
    """A new draft version: the rule, and the version the editor started from."""

    id: Id | None = None  # type: ignore[assignment]  # the URL names it
    expected_version: Version


# --------------------------------------------------------------------------- contents


class Email(Body):
    subject: NonEmptyTemplate
    html: NonEmptyTemplate = None  # type: ignore[assignment]  # absent, never null
    text: NonEmptyTemplate = None  # type: ignore[assignment]
    from_name: Template = None  # type: ignore[assignment]

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
    title: Template = None  # type: ignore[assignment]
    body: NonEmptyTemplate
    data: dict[str, Template] = None  # type: ignore[assignment]


class Web(Body):
    headline: Template = None  # type: ignore[assignment]
    body: Template = None  # type: ignore[assignment]
    cta_url: Template = None  # type: ignore[assignment]
    image_url: Template = None  # type: ignore[assignment]


class Channels(Body):
    """Each channel's templates (a channel is absent, never null)."""

    email: Email = None  # type: ignore[assignment]
    sms: Sms = None  # type: ignore[assignment]
    push: Push = None  # type: ignore[assignment]
    web: Web = None  # type: ignore[assignment]

    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _at_least_one(self) -> Channels:
        if not self.model_fields_set:
            raise ValueError("channels needs at least one channel")
        return self


class EmailOverride(Body):
    subject: Template = None  # type: ignore[assignment]
    html: Template = None  # type: ignore[assignment]
    text: Template = None  # type: ignore[assignment]
    from_name: Template = None  # type: ignore[assignment]


class SmsOverride(Body):
    text: Template = None  # type: ignore[assignment]


class PushOverride(Body):
    title: Template = None  # type: ignore[assignment]
    body: Template = None  # type: ignore[assignment]
    data: dict[str, Template] = None  # type: ignore[assignment]


class LocaleOverrides(Body):
    """A locale's overrides of the content's channels (only channels the content has)."""

    email: EmailOverride = None  # type: ignore[assignment]
    sms: SmsOverride = None  # type: ignore[assignment]
    push: PushOverride = None  # type: ignore[assignment]
    web: Web = None  # type: ignore[assignment]


Locale = Annotated[str, Field(pattern=LOCALE_PATTERN.pattern)]


class Content(Body):
    """A piece of content (one version): Liquid templates per channel, locale overrides."""

    id: Id
    name: str | None = Field(None, max_length=200)
    channels: Channels
    locales: dict[Locale, LocaleOverrides] = Field(default_factory=dict, json_schema_extra=CLOSED)


class ContentDraft(Content):
    id: Id | None = None  # type: ignore[assignment]
    expected_version: Version


class VersionChoice(Body):
    """Which version to make live (or to submit for approval)."""

    version: Version


# What the editors send to /validate as they type: any part of a document, each field as loose
# as JSON allows (the domain's checks then say what is wrong, where).
class RuleCheck(Body):
    """A rule as an editor has it so far (every field optional)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    id: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=1000)
    on: str | None = Field(None, max_length=1000)
    priority: int | None = None
    when: str | None = Field(None, max_length=MAX_CONDITION)
    then: list[dict[str, Any]] | None = Field(None, max_length=MAX_RULE_ACTIONS)
    else_: list[dict[str, Any]] | None = Field(None, alias="else", max_length=MAX_RULE_ACTIONS)
    category: str | None = Field(None, max_length=100)
    active: dict[str, Any] | None = None


class ContentCheck(Body):
    """A content as an editor has it so far (every field optional)."""

    id: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=1000)
    channels: dict[str, dict[str, Any]] | None = None
    locales: dict[str, dict[str, Any]] | None = None


# --------------------------------------------------------------------------- customers, events


class PushDevice(Body):
    platform: Literal["apns", "fcm"]
    token: str = Field(min_length=1, max_length=4096)


class Consent(Body):
    email: bool = None  # type: ignore[assignment]
    sms: bool = None  # type: ignore[assignment]
    push: bool = None  # type: ignore[assignment]


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


class ContentDraftDoc(Body):
    """An unsaved content document (its id is the URL's)."""

    name: str | None = Field(None, max_length=200)
    channels: Channels
    locales: dict[Locale, LocaleOverrides] = Field(default_factory=dict, json_schema_extra=CLOSED)


class Preview(Body):
    """Render a content version for a customer (a stored one by id, or an inline profile)."""

    customer: Profile | CustomerRef | None = None
    event: dict[str, Any] = Field(default_factory=dict, description="the event's fields")
    version: Version | None = Field(None, description="default: the latest version")
    locale: Locale | None = Field(None, description="default: the customer's locale")
    draft: ContentDraftDoc | None = Field(
        None,
        description="render this unsaved document instead of a stored version (the editor's "
        "live preview; the content need not exist yet); not with version",
    )


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
    rules: dict[Id, Version] = Field(
        default_factory=dict, description="rule id -> version", json_schema_extra=CLOSED
    )
    contents: dict[Id, Version] = Field(
        default_factory=dict, description="content id -> version", json_schema_extra=CLOSED
    )
    now: str | None = Field(None, json_schema_extra={"format": "date-time"})


# --------------------------------------------------------------------------- contact policy


Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, 24h")]


class QuietHours(Body):
    start: Clock
    end: Clock
    channels: list[MessageChannel] = Field(default_factory=lambda: ["sms", "push"])


class Cap(Body):
    channel: Literal["email", "sms", "push", "any"]
    max: int = Field(ge=0, le=1000)
    per: Duration


class Guardrail(Body):
    """Auto-pause of a marketing rule over its last ``min_sends`` sends or more (null: never)."""

    complaint_rate: float | None = Field(0.003, gt=0, le=1, description="0.003 is 0.3%")
    hard_bounce_rate: float | None = Field(0.05, gt=0, le=1)
    min_sends: int = Field(1000, ge=1, le=1_000_000)


class OfferRest(Body):
    """Offer fatigue: shown ``max_shown`` times within ``within`` without an accept → the
    offer rests for ``pause_for`` for that customer."""

    max_shown: int = Field(3, ge=1, le=1000)
    within: Duration = "P7D"
    pause_for: Duration = "P14D"


class Policy(Body):
    """The contact policy. GET's answer may be sent back as is (its read-only fields are
    ignored); ``expected_version`` guards against a lost update."""

    consent_required: bool = True
    quiet_hours: QuietHours | None = None
    caps: list[Cap] = Field(default_factory=list, max_length=20)
    default_timezone: str = Field("UTC", max_length=64, description="an IANA time zone")
    max_messages_per_event: int = Field(1, ge=0, le=10)
    guardrail: Guardrail = Field(default_factory=Guardrail)
    offers: OfferRest = Field(default_factory=lambda: OfferRest())
    expected_version: int | None = Field(None, ge=0, le=MAX_VERSION)
    version: int | None = Field(None, description="read-only: ignored")
    updated_at: str | None = Field(None, description="read-only: ignored")
    updated_by: str | None = Field(None, description="read-only: ignored")


# --------------------------------------------------------------------------- errors


class ErrorDetail(BaseModel):
    code: str = Field(description="a stable machine-readable name, e.g. invalid_expression")
    message: str = Field(description="what is wrong, in words a marketer can act on")
    field: str | None = Field(None, description="the JSON path of the offending input")
    line: int | None = Field(None, description="ZEN or Liquid: the line in that field (1-based)")
    column: int | None = Field(None, description="and the column (1-based)")


class Error(BaseModel):
    error: ErrorDetail


class Warning(BaseModel):
    """Saved, but said: probably not what was meant (an event or field never seen, …)."""

    code: str
    message: str
    field: str
    line: int | None = None
    column: int | None = None


# --------------------------------------------------------------------------- answers


class Answer(BaseModel):
    """What the API answers: every field documented (a new one is a contract change)."""

    model_config = ConfigDict(extra="forbid")


class PauseInfo(Answer):
    reason: str = Field(description="why: an approver's pause, or the guardrail's measurement")
    at: str
    by: str = Field(description="who: a user, or herald-guardrail")


class SubmissionView(Answer):
    version: int
    by: str
    at: str


class Standing(Answer):
    """Where a version stands (added to the document in every answer about a version)."""

    version: int
    state: Literal["draft", "live", "paused", "superseded", "archived"] = Field(
        description="this version: draft (never live, newer than the live one), live, paused "
        "(the published version of a paused rule), superseded (was live, or a newer one went "
        "live), archived"
    )
    entity_state: Literal["draft", "live", "paused", "archived"] = Field(
        description="the document as a whole: draft (never live), live, paused, archived"
    )
    published_version: int | None
    latest_version: int
    live: bool
    created_by: str
    created_at: str
    submitted: SubmissionView | None = Field(
        None, description="the version submitted for approval (of the document), if any"
    )
    warnings: list[Warning] = Field(default_factory=list, description="on create and save")
    paused: PauseInfo | None = Field(None, description="while paused: why, when, by whom")


class RuleView(Rule, Standing):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ContentView(Content, Standing):
    model_config = ConfigDict(extra="forbid")


class Summary(Answer):
    id: str
    state: Literal["draft", "live", "paused", "archived"]
    latest_version: int
    published_version: int | None
    updated_at: str | None
    updated_by: str | None
    submitted: SubmissionView | None = None


class Summaries(Answer):
    items: list[Summary]


class RuleVersions(Answer):
    items: list[RuleView]


class ContentVersions(Answer):
    items: list[ContentView]


class PolicyView(Answer):
    consent_required: bool
    quiet_hours: QuietHours | None
    caps: list[Cap]
    default_timezone: str
    max_messages_per_event: int
    guardrail: Guardrail
    offers: OfferRest | None = None
    version: int = Field(description="0 before the first change; send it back as expected_version")
    updated_at: str | None
    updated_by: str | None


class Rendered(Answer):
    id: str
    version: int | None = Field(description="the stored version rendered; null for a draft")
    locale: str | None
    rendered: dict[str, dict[str, Any]] = Field(
        description="per channel: the rendered fields, or {error} for a channel that failed"
    )
    warnings: list[Warning] = Field(default_factory=list)


class RuleTrace(Answer):
    rule_id: str
    version: int
    priority: int
    matched: bool | None
    branch: Literal["then", "else"] | None = None
    skipped: str | None = None
    error: str | None = None
    code: Literal["evaluation_error", "over_budget"] | None = None


class ActionTrace(Answer):
    rule_id: str
    kind: Literal["send", "offer", "route", "alert", "update_profile"]
    outcome: str
    branch: str | None = None
    index: int | None = None
    channel: str | None = None
    content: str | None = None
    placement: str | None = None
    reason: str | None = None
    message_id: str | None = None
    send_at: str | None = None


class Trace(Answer):
    event_id: str
    event_name: str
    customer_id: str
    decided_at: str
    ruleset_revision: str
    rules: list[RuleTrace]
    actions: list[ActionTrace]
    effects_done: bool


class SimulatedMessage(Answer):
    message_id: str
    rule_id: str
    rule_version: int
    channel: str
    content: str
    status: str
    reason: str | None
    send_at: str | None


class SimulatedOffer(Answer):
    rule_id: str
    placement: str
    content: str
    value: Any


class SimulationResult(Answer):
    trace: Trace
    messages: list[SimulatedMessage]
    offers: list[SimulatedOffer]
    customer_known: bool
    sent: Literal[False]


class EventType(Answer):
    name: str
    count: int
    fields: list[str]
    first_seen: str | None
    last_seen: str | None


class EventCatalogue(Answer):
    events: list[EventType]
    profile_attributes: list[str]


class AuditEntry(Answer):
    entity: Literal["rule", "content", "policy", "offer", "taxonomy", "profile", "segment"]
    id: str
    action: str
    user: str
    at: str
    from_version: int | None
    to_version: int | None


class AuditLog(Answer):
    items: list[AuditEntry]


class Problem(Answer):
    """An error a save would answer with (the 422's error), with its position when known."""

    code: str
    message: str
    field: str | None = None
    line: int | None = None
    column: int | None = None


class ValidationReport(Answer):
    valid: bool = Field(description="a save of this document would be accepted")
    errors: list[Problem]
    warnings: list[Warning]


class Approval(Answer):
    kind: str = Field(description="rule, content, …")
    id: str
    name: str | None
    version: int
    state: Literal["draft", "live", "paused", "superseded", "archived"]
    entity_state: Literal["draft", "live", "paused", "archived"]
    published_version: int | None
    latest_version: int
    created_by: str
    created_at: str
    submitted_by: str
    submitted_at: str
    blocked: str | None = Field(
        description="why the caller may not publish it (groups, two-person rule); null if they may"
    )


class Approvals(Answer):
    items: list[Approval]


class Permissions(Answer):
    edit: bool = Field(description="drafts, submit, preview, simulate, reads")
    publish: bool = Field(description="publish, roll back, pause, archive")
    edit_policy: bool


class Me(Answer):
    user: str
    groups: list[str]
    may: Permissions
    two_person_rule: bool = Field(description="nobody publishes a version they wrote")


class TimelineEntry(BaseModel):
    """A decision trace (``kind`` trace) or a message (``kind`` message) with its status."""

    model_config = ConfigDict(extra="allow")

    kind: Literal["trace", "message"]


class DerivedProfile(Answer):
    """What Herald derives of a customer: the profile schema's aggregates now, activity, and
    the segments they are a member of (``customer.aggregates.*``, ``customer.segments``)."""

    aggregates: dict[str, Any]
    first_seen: str | None
    last_seen: str | None
    event_counts: dict[str, int]
    segments: list[str]


class Timeline(Answer):
    items: list[TimelineEntry]
    profile: DerivedProfile | None = Field(
        default=None, description="absent for a customer Herald has no profile of"
    )


# --------------------------------------------------------------------------- stats


class Rate(Answer):
    value: float
    low: float = Field(description="95% Wilson interval")
    high: float
    unreliable: bool | None = Field(
        None, description="opens: Apple Mail Privacy Protection opens every message it delivers"
    )


class Counts(Answer):
    exposed: int = Field(description="customers who drew this arm and could be messaged")
    sent: int
    delivered: int
    opened: int
    clicked: int
    converted: int
    revenue: float
    bounced: int = Field(description="hard bounces")
    complained: int
    unsubscribed: int
    failed: int


class Rates(Answer):
    delivery: Rate | None = Field(description="delivered / sent")
    open: Rate | None = Field(description="opened / delivered (unreliable)")
    click: Rate | None = Field(description="clicked / delivered")
    conversion: Rate | None = Field(description="converted / exposed")
    unsubscribe: Rate | None = Field(description="unsubscribed / delivered")
    complaint: Rate | None = Field(description="complained / delivered")


class ArmStats(Answer):
    arm: str = Field(description="the content id (id@version when pinned), or holdout")
    weight: float = Field(description="the share of customers the rule sends to this arm")
    counts: Counts
    rates: Rates


class Estimate(Answer):
    value: float
    low: float
    high: float


class Comparison(Answer):
    arm: str
    baseline: str = Field(description="the holdout, or the first variant without one")
    difference: Estimate | None = Field(description="conversion rate, 95% Newcombe interval")
    lift: Estimate | None = Field(description="relative, 95% delta-method (log ratio) interval")
    p_value: float | None = Field(description="two-sided, pooled two-proportion z-test")
    verdict: Literal["collecting", "better", "worse", "inconclusive"]
    summary: str


class SampleRatio(Answer):
    p_value: float | None = Field(description="chi-square of exposures against the weights")
    mismatch: bool = Field(description="p < 0.001: the split is broken, distrust the results")


class DayStats(Answer):
    day: str
    arm: str
    counts: Counts


class RuleStats(Answer):
    rule_id: str
    version: int
    from_: str = Field(alias="from")
    to: str
    arms: list[ArmStats]
    comparisons: list[Comparison]
    srm: SampleRatio
    days: list[DayStats]
    paused: PauseInfo | None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ChannelFigures(Answer):
    sent: int
    delivered: int
    bounce_rate: float | None = Field(description="hard bounces / sent")
    complaint_rate: float | None = Field(description="complaints / delivered")
    unsubscribe_rate: float | None = Field(description="unsubscribes / delivered")


class ChannelWindows(Answer):
    last_24h: ChannelFigures
    last_7d: ChannelFigures


class StatsOverview(Answer):
    at: str
    channels: dict[str, ChannelWindows]
