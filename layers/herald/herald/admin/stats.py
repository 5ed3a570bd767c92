"""Performance figures as marketers read them: a rule's arms and comparisons, and the
deliverability overview per channel. Reads only counters: one Query per rule (whatever the
number of messages), one per channel for the overview."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from herald.admin.users import User
from herald.dal import outcomes
from herald.dal.versions import rules as rule_store
from herald.domain import stats
from herald.domain.channel import MESSAGE_CHANNELS
from herald.domain.clock import utcnow
from herald.domain.document import ValidationError, check_id
from herald.domain.rule import parse_rule
from herald.domain.version import check_version

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _day(value: str | None, field: str, default: date) -> date:
    if value is None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"{field} must be a day, YYYY-MM-DD", field=field) from exc


def day_range(first: str | None, last: str | None, now: datetime | None = None) -> tuple[str, str]:
    """[from, to] as days (default: the last 30 days, today included)."""
    today = (now or utcnow()).date()
    to = _day(last, "to", today)
    frm = _day(first, "from", to - timedelta(days=DEFAULT_DAYS - 1))
    if frm > to:
        raise ValidationError("from must not be after to", field="from")
    if (to - frm).days >= MAX_DAYS:
        raise ValidationError(f"a range covers at most {MAX_DAYS} days", field="from")
    return frm.isoformat(), to.isoformat()


def rule_stats(
    user: User,
    rule_id: str,
    version: int | None = None,
    first: str | None = None,
    last: str | None = None,
) -> dict:
    """``GET /admin/rules/{id}/stats``: the published version (else the latest) by default."""
    user.require_editor()
    head = rule_store.head(check_id(rule_id))
    chosen = (
        check_version(version)
        if version is not None
        else (head.published_version or head.latest_version)
    )
    stored = rule_store.version(rule_id, chosen)
    rule = parse_rule(stored.doc, stored.version)
    frm, to = day_range(first, last)
    buckets = outcomes.read_rule(rule_id, chosen, frm, to)
    paused = stats.Paused(**head.paused) if head.paused else None
    return stats.report(rule, chosen, frm, to, buckets, paused)


def _channel_figures(buckets: dict[str, dict], since: str) -> dict:
    sent = delivered = bounced = complained = unsubscribed = 0
    for hour, figures in buckets.items():
        if hour < since:
            continue
        sent += int(figures.get("sent", 0))
        delivered += int(figures.get("delivered", 0))
        bounced += int(figures.get("bounced", 0))
        complained += int(figures.get("complained", 0))
        unsubscribed += int(figures.get("unsubscribed", 0))

    def rate(n: int, d: int) -> float | None:
        return round(n / d, 6) if d else None

    return {
        "sent": sent,
        "delivered": delivered,
        "bounce_rate": rate(bounced, sent),
        "complaint_rate": rate(complained, delivered),
        "unsubscribe_rate": rate(unsubscribed, delivered),
    }


def _hour(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H")


def overview(user: User, now: datetime | None = None) -> dict:
    """``GET /admin/stats/overview``: per channel, the last 24 hours and the last 7 days (by
    the hour the messages were decided)."""
    user.require_editor()
    now = now or utcnow()
    week, day = _hour(now - timedelta(days=7)), _hour(now - timedelta(hours=24))
    channels = {}
    for channel in MESSAGE_CHANNELS:
        buckets = outcomes.read_channel(str(channel), week, _hour(now))
        channels[str(channel)] = {
            "last_24h": _channel_figures(buckets, day),
            "last_7d": _channel_figures(buckets, week),
        }
    return {"at": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "channels": channels}
