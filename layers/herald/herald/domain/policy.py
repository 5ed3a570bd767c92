"""The contact policy: consent, suppression, frequency caps, quiet hours. Pure logic.

Marketing messages respect all four; transactional messages respect consent and suppression
only. Caps count the customer's *contact log* (channel, time) of marketing messages, kept on the
customer item and written with a conditional update together with the message, so two
concurrent decisions cannot both take the last slot under a cap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache, lru_cache
from typing import Any

from herald.domain.channel import MESSAGE_CHANNELS, Category
from herald.domain.clock import iso, parse_duration, parse_time
from herald.domain.customer import Contact, CustomerState
from herald.domain.document import ValidationError, unknown_keys
from herald.domain.message import MessageStatus
from herald.domain.offer import OfferContact, OfferOutcome

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

DEFAULT_POLICY: dict[str, Any] = {
    "consent_required": True,
    "quiet_hours": {"start": "21:00", "end": "08:00", "channels": ["sms", "push"]},
    "caps": [
        {"channel": "email", "max": 3, "per": "P7D"},
        {"channel": "sms", "max": 1, "per": "P1D"},
        {"channel": "any", "max": 5, "per": "P7D"},
    ],
    "default_timezone": "UTC",
    "max_messages_per_event": 1,
    # Auto-pause of a marketing rule whose mail draws complaints or hard bounces (the mailbox
    # providers' bulk-sender ceiling for complaints is 0.3%), over at least min_sends sends.
    "guardrail": {"complaint_rate": 0.003, "hard_bounce_rate": 0.05, "min_sends": 1000},
    # Offers (POST /decide): an offer shown max_shown times within `within` without an accept
    # is not shown to that customer for `pause_for`.
    "offers": {"max_shown": 3, "within": "P7D", "pause_for": "P14D"},
}
MAX_GUARDRAIL_SENDS = 1_000_000


@dataclass(frozen=True, slots=True)
class Cap:
    channel: str  # a channel or "any"
    max: int
    per: timedelta


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time
    channels: frozenset

    def contains(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight


@dataclass(frozen=True, slots=True)
class Guardrail:
    """When a marketing rule is paused automatically (``None`` thresholds: never)."""

    complaint_rate: float | None = 0.003
    hard_bounce_rate: float | None = 0.05
    min_sends: int = 1000


@dataclass(frozen=True, slots=True)
class OfferPolicy:
    """Offer fatigue: ``max_shown`` impressions within ``within`` and no accept → the offer
    rests for ``pause_for`` (for that customer)."""

    max_shown: int = 3
    within: timedelta = timedelta(days=7)
    pause_for: timedelta = timedelta(days=14)


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    consent_required: bool = True
    quiet_hours: QuietHours | None = None
    caps: tuple[Cap, ...] = ()
    default_timezone: str = "UTC"
    max_messages_per_event: int = 1
    guardrail: Guardrail = field(default_factory=Guardrail)
    offers: OfferPolicy = field(default_factory=OfferPolicy)
    doc: dict = field(default_factory=dict, compare=False)

    @property
    def longest_window(self) -> timedelta:
        return max((c.per for c in self.caps), default=timedelta(0))


@lru_cache(maxsize=512)
def _zone(name: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # noqa: PLC0415 — first use only

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _parse_hhmm(value: Any, field_name: str) -> time:
    if not isinstance(value, str) or not (m := _HHMM.match(value)):
        raise ValidationError(f"{field_name} must be HH:MM (24h)", field=field_name)
    return time(int(m.group(1)), int(m.group(2)))


def parse_policy(doc: Any) -> ContactPolicy:
    """Validate a contact-policy document (``PUT /admin/policy``)."""
    if not isinstance(doc, dict):
        raise ValidationError("the policy must be a mapping", field="policy")
    extra = sorted(set(doc) - set(DEFAULT_POLICY))
    if extra:
        raise ValidationError(f"unknown field {extra[0]}", field=extra[0])
    consent = doc.get("consent_required", True)
    if not isinstance(consent, bool):
        raise ValidationError("consent_required must be true or false", field="consent_required")
    quiet = None
    if doc.get("quiet_hours") is not None:
        q = doc["quiet_hours"]
        if not isinstance(q, dict):
            raise ValidationError("quiet_hours must be a mapping", field="quiet_hours")
        channels = q.get("channels", ["sms", "push"])
        if not isinstance(channels, list) or any(c not in MESSAGE_CHANNELS for c in channels):
            raise ValidationError(
                "quiet_hours.channels must list email, sms or push", field="quiet_hours.channels"
            )
        quiet = QuietHours(
            _parse_hhmm(q.get("start"), "quiet_hours.start"),
            _parse_hhmm(q.get("end"), "quiet_hours.end"),
            frozenset(channels),
        )
        if quiet.start == quiet.end:
            raise ValidationError("quiet_hours.start and end must differ", field="quiet_hours.end")
    caps = []
    raw_caps = doc.get("caps", [])
    if not isinstance(raw_caps, list):
        raise ValidationError("caps must be a list", field="caps")
    for i, c in enumerate(raw_caps):
        p = f"caps[{i}]"
        if not isinstance(c, dict) or set(c) - {"channel", "max", "per"}:
            raise ValidationError(f"{p} must be {{channel, max, per}}", field=p)
        if c.get("channel") not in (*MESSAGE_CHANNELS, "any"):
            raise ValidationError(
                f"{p}.channel must be email, sms, push or any", field=f"{p}.channel"
            )
        limit = c.get("max")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 0 <= limit <= 1000:
            raise ValidationError(f"{p}.max must be an integer 0-1000", field=f"{p}.max")
        caps.append(Cap(c["channel"], limit, parse_duration(c.get("per"), f"{p}.per")))
    tz = doc.get("default_timezone", "UTC")
    if not isinstance(tz, str) or _zone(tz) is None:
        raise ValidationError(
            "default_timezone must be an IANA time zone", field="default_timezone"
        )
    mmpe = doc.get("max_messages_per_event", 1)
    if not isinstance(mmpe, int) or isinstance(mmpe, bool) or not 0 <= mmpe <= 10:
        raise ValidationError(
            "max_messages_per_event must be an integer 0-10", field="max_messages_per_event"
        )
    guardrail = _guardrail(doc.get("guardrail", DEFAULT_POLICY["guardrail"]))
    offers = _offer_policy(doc.get("offers", DEFAULT_POLICY["offers"]))
    normalised = {**DEFAULT_POLICY, **doc}
    return ContactPolicy(consent, quiet, tuple(caps), tz, mmpe, guardrail, offers, normalised)


def _offer_policy(doc: Any) -> OfferPolicy:
    if not isinstance(doc, dict):
        raise ValidationError("offers must be a mapping", field="offers")
    unknown_keys(doc, {"max_shown", "within", "pause_for"}, "offers.")
    defaults = DEFAULT_POLICY["offers"]
    shown = doc.get("max_shown", defaults["max_shown"])
    if not isinstance(shown, int) or isinstance(shown, bool) or not 1 <= shown <= 1000:
        raise ValidationError(
            "offers.max_shown must be an integer 1-1000", field="offers.max_shown"
        )
    return OfferPolicy(
        shown,
        parse_duration(doc.get("within", defaults["within"]), "offers.within"),
        parse_duration(doc.get("pause_for", defaults["pause_for"]), "offers.pause_for"),
    )


def offer_resting(
    rules: OfferPolicy, log: tuple[OfferContact, ...], offer_id: str, now: datetime
) -> str | None:
    """Why ``offer_id`` must not be shown to this customer now (it was shown ``max_shown``
    times within ``within`` without an accept, less than ``pause_for`` ago), or None."""
    shown: list[datetime] = []
    for entry in sorted(log, key=lambda e: e.at):
        if entry.offer_id != offer_id:
            continue
        at = parse_time(entry.at, "offer log")
        if entry.outcome == OfferOutcome.ACCEPT:
            shown = [t for t in shown if t > at]  # an accept resets the count
        elif entry.outcome == OfferOutcome.IMPRESSION:
            shown.append(at)
    shown.sort()
    n = rules.max_shown
    for i in range(n - 1, len(shown)):
        if shown[i] - shown[i - n + 1] <= rules.within and now < shown[i] + rules.pause_for:
            until = iso(shown[i] + rules.pause_for)
            return f"shown {n} times within {_fmt(rules.within)} without an accept: rests until {until}"
    return None


def offer_log_window(rules: OfferPolicy) -> timedelta:
    """How far back the offer log must reach for :func:`offer_resting`."""
    return rules.within + rules.pause_for


def _guardrail(doc: Any) -> Guardrail:
    if not isinstance(doc, dict):
        raise ValidationError("guardrail must be a mapping", field="guardrail")
    unknown_keys(doc, {"complaint_rate", "hard_bounce_rate", "min_sends"}, "guardrail.")
    rates = {}
    for name in ("complaint_rate", "hard_bounce_rate"):
        value = doc.get(name, DEFAULT_POLICY["guardrail"][name])
        if value is not None and (
            not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1
        ):
            raise ValidationError(
                f"guardrail.{name} must be a share in (0, 1] (0.003 is 0.3%), or null for never",
                field=f"guardrail.{name}",
            )
        rates[name] = float(value) if value is not None else None
    sends = doc.get("min_sends", DEFAULT_POLICY["guardrail"]["min_sends"])
    if (
        not isinstance(sends, int)
        or isinstance(sends, bool)
        or not 1 <= sends <= MAX_GUARDRAIL_SENDS
    ):
        raise ValidationError(
            f"guardrail.min_sends must be an integer 1-{MAX_GUARDRAIL_SENDS:,}",
            field="guardrail.min_sends",
        )
    return Guardrail(rates["complaint_rate"], rates["hard_bounce_rate"], sends)


@cache
def default() -> ContactPolicy:
    """The policy in force until someone edits it (built on first use: it loads time zones)."""
    return parse_policy(DEFAULT_POLICY)


def __getattr__(name: str) -> ContactPolicy:
    if name == "DEFAULT":  # policy.DEFAULT, without paying for it at import (cold start)
        return default()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(slots=True)  # per candidate message: not frozen, for speed (see domain.trace)
class Verdict:
    """What the policy says of one message: ``status`` is queued, suppressed, capped or deferred."""

    status: MessageStatus
    reason: str | None = None
    send_at: datetime | None = None


ALLOW = Verdict(MessageStatus.QUEUED)


def next_allowed(quiet: QuietHours, now: datetime, zone) -> datetime:
    """The first instant at or after ``now`` outside quiet hours, in ``zone``'s wall clock.

    Computed on local dates so a DST change between now and the end of quiet hours still lands
    on the wall-clock end time (08:00 stays 08:00); a wall time skipped by DST moves forward.
    """
    local = now.astimezone(zone)
    candidate_date = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        candidate_date += timedelta(days=1)  # evening part: ends tomorrow morning
    wall = datetime.combine(candidate_date, quiet.end, tzinfo=zone)
    # A non-existent wall time (spring forward) round-trips through UTC to the real instant.
    resolved = wall.astimezone(now.tzinfo).astimezone(zone)
    return resolved.astimezone(now.tzinfo)


def customer_zone(policy: ContactPolicy, tz_name: str | None):
    """The customer's zone, or the policy's default (named as such in the reason)."""
    zone = _zone(tz_name) if tz_name else None
    if zone is not None:
        return zone, tz_name
    why = "an unknown" if tz_name else "no"
    return _zone(policy.default_timezone), (
        f"{policy.default_timezone} (customer has {why} time zone: default)"
    )


def recent_contacts(log: tuple[Contact, ...], now: datetime, keep: timedelta) -> list[Contact]:
    """Drop contact-log entries older than the longest cap window."""
    if not log:
        return []
    cutoff = iso(now - keep)
    return [entry for entry in log if entry.at >= cutoff]


def unreachable(policy: ContactPolicy, customer: CustomerState | None, channel: str) -> str | None:
    """Why no message of any category may go to ``customer`` on ``channel`` (None: it may).

    Decide applies it before caps and quiet hours; send applies it again, since an opt-out or
    a bounce may have arrived in between."""
    if customer is None:
        return "unknown customer: no profile"
    if not customer.profile.reachable_on(channel):
        return f"no {channel} address on the profile"
    suppressed = customer.suppressed.get(channel)
    if suppressed:
        return f"suppressed: {suppressed}"
    if policy.consent_required and not customer.profile.consent.get(channel):
        return f"no {channel} consent"
    return None


def check(
    policy: ContactPolicy,
    *,
    channel: str,
    category: str,
    customer: CustomerState | None,
    contact_log: list[Contact],
    now: datetime,
) -> Verdict:
    """Apply the policy to one candidate message for a stored customer (None: unknown)."""
    reason = unreachable(policy, customer, channel)
    if reason:
        return Verdict(MessageStatus.SUPPRESSED, reason)
    assert customer is not None  # unreachable() says why an unknown customer can't be messaged
    if category != Category.MARKETING:
        return ALLOW
    for cap in policy.caps:
        used = 0
        if contact_log:
            cutoff = iso(now - cap.per)
            used = sum(
                1
                for contact in contact_log
                if contact.at >= cutoff and (cap.channel == "any" or contact.channel == cap.channel)
            )
        if used >= cap.max:
            return Verdict(
                MessageStatus.CAPPED,
                f"cap reached: {cap.channel} {used}/{cap.max} per {_fmt(cap.per)}",
            )
    quiet = policy.quiet_hours
    if quiet and channel in quiet.channels:
        zone, label = customer_zone(policy, customer.profile.timezone)
        if quiet.contains(now.astimezone(zone).time().replace(tzinfo=None)):
            return Verdict(
                MessageStatus.DEFERRED, f"quiet hours in {label}", next_allowed(quiet, now, zone)
            )
    return ALLOW


def _fmt(span: timedelta) -> str:
    if span.days and not span.seconds:
        return f"{span.days}d"
    return f"{int(span.total_seconds() // 3600)}h"
