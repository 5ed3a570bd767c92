"""The auto-pause guardrail: a marketing rule whose mail draws complaints or hard bounces above
the contact policy's thresholds is paused, with an audit entry by ``herald-guardrail``, an
alert on the alerts topic and the reason in its stats and ``GET /admin/rules/{id}``. An
approver resumes it (``POST /admin/rules/{id}/resume``).

Measured over the rule version's most recent sends — whole days of counters, newest first,
until they add up to at least ``guardrail.min_sends`` (default 1,000) — after each hard bounce
or complaint (rare events: one counter Query each). Fewer sends than that: no verdict yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aws_lambda_powertools.metrics import MetricUnit

from herald.aws import alerts
from herald.dal import outcomes
from herald.dal.contact_policy import cache as policy_cache
from herald.dal.versions import rules as rule_store
from herald.domain.clock import utcnow
from herald.domain.outcome import MessageRef
from herald.domain.policy import Guardrail
from herald.domain.stats import parse_bucket
from herald.domain.version import State
from herald.errors import Conflict, NotFound
from herald.observability import logger, metrics

GUARDRAIL_USER = "herald-guardrail"
LOOKBACK_DAYS = 30


@dataclass(frozen=True, slots=True)
class Measure:
    sends: int
    complaints: int
    hard_bounces: int


def measure(rule_id: str, version: int, min_sends: int, now: datetime) -> Measure:
    """The version's sends, complaints and hard bounces over its latest days, newest first,
    until at least ``min_sends`` sends (one Query)."""
    first = (now - timedelta(days=LOOKBACK_DAYS)).date().isoformat()
    buckets = outcomes.read_rule(rule_id, version, first, now.date().isoformat())
    by_day: dict[str, list[int]] = {}
    for name, figures in buckets.items():
        parsed = parse_bucket(name)
        if parsed is None:
            continue
        day = by_day.setdefault(parsed[1], [0, 0, 0])
        day[0] += int(figures.get("sent", 0))
        day[1] += int(figures.get("complained", 0))
        day[2] += int(figures.get("bounced", 0))
    sends = complaints = bounces = 0
    for day in sorted(by_day, reverse=True):
        sent, complained, bounced = by_day[day]
        sends, complaints, bounces = sends + sent, complaints + complained, bounces + bounced
        if sends >= min_sends:
            break
    return Measure(sends, complaints, bounces)


def verdict(found: Measure, limits: Guardrail) -> str | None:
    """Why the rule must pause (None: it may go on)."""
    if found.sends < limits.min_sends:
        return None
    complaint_rate = found.complaints / found.sends
    bounce_rate = found.hard_bounces / found.sends
    if limits.complaint_rate is not None and complaint_rate > limits.complaint_rate:
        return (
            f"complaint rate {complaint_rate:.2%} over the last {found.sends:,} sends is above "
            f"the guardrail's {limits.complaint_rate:.2%}"
        )
    if limits.hard_bounce_rate is not None and bounce_rate > limits.hard_bounce_rate:
        return (
            f"hard bounce rate {bounce_rate:.2%} over the last {found.sends:,} sends is above "
            f"the guardrail's {limits.hard_bounce_rate:.2%}"
        )
    return None


def after_bad_outcome(ref: MessageRef, now: datetime | None = None) -> str | None:
    """Check the rule after a hard bounce or complaint; the reason if it was paused now."""
    if ref.category != "marketing":
        return None  # transactional mail (receipts, resets) is never paused by Herald
    now = now or utcnow()
    limits = policy_cache.get().guardrail
    reason = verdict(measure(ref.rule_id, ref.rule_version, limits.min_sends, now), limits)
    if reason is None:
        return None
    try:
        head = rule_store.head(ref.rule_id)
        if head.state != State.LIVE or head.published_version != ref.rule_version:
            return None  # already paused, or another version is live: not what was measured
        rule_store.set_live(
            ref.rule_id,
            None,
            State.PAUSED,
            GUARDRAIL_USER,
            "pause",
            reason=reason,
            expect_live=ref.rule_version,
        )
    except (Conflict, NotFound):
        return None  # paused (or changed) meanwhile by someone else
    logger.warning("rule paused by the guardrail", rule_id=ref.rule_id, reason=reason)
    metrics.add_metric(name="RulesAutoPaused", unit=MetricUnit.Count, value=1)
    alerts.publish(
        "guardrail",
        f"Rule {ref.rule_id} (version {ref.rule_version}) was paused: {reason}. "
        "An approver resumes it with POST /admin/rules/{id}/resume once the cause is fixed.",
        rule_id=ref.rule_id,
    )
    return reason
