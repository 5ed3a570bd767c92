"""How ``make demo`` words one action of a decision: what it did, where to, and why.

A send names its channel, content and what became of the message (a deferral says until when,
in the customer's own time zone); a route names its queue and the route queue it went on; an
alert its topic and message; a profile update the fields it set. The trace records outcomes,
not action bodies, so routes, alerts and updates are read from the rule version that ran.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from herald.domain.action import AlertAction, RouteAction, RoutePriority, UpdateProfileAction
from herald.domain.trace import ActionTrace, Outcome

ROUTE_QUEUES = {RoutePriority.HIGH: "the high-priority route queue (RouteHighQueue)"}
REDELIVERED = "redelivered: already decided, nothing new sent"


@cache
def _rule(rule_id: str, version: int):
    from herald.dal import versions
    from herald.domain.rule import parse_rule

    return parse_rule(versions.rules.version(rule_id, version).doc, version)


def effects(rule_id: str, version: int, branch: str | None) -> list:
    """The routes, alerts and profile updates of a rule version's branch, in order: the trace
    lists a rule's effects in that order (with outcome ``run``), without their bodies."""
    if branch not in ("then", "else"):
        return []
    rule = _rule(rule_id, version)
    actions = rule.then if branch == "then" else rule.else_
    return [a for a in actions if isinstance(a, RouteAction | AlertAction | UpdateProfileAction)]


def local_time(at: str, timezone: str | None) -> str:
    """``at`` (ISO) as the customer's wall-clock time: "2026-11-25 08:00 Asia/Tokyo (23:00 UTC)"."""
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    when = datetime.fromisoformat(at.replace("Z", "+00:00")).astimezone(UTC)
    return f"{when.astimezone(zone):%Y-%m-%d %H:%M} {timezone or 'UTC'} ({when:%H:%M} UTC)"


def action_line(
    action: ActionTrace,
    *,
    body=None,
    status: str,
    reason: str | None,
    send_at: str | None,
    timezone: str | None,
) -> str:
    """One line for ``action`` (``status``: the message's status, or the action's outcome;
    ``body``: the effect's action from the rule, for routes, alerts and profile updates)."""
    if isinstance(body, RouteAction):
        queue = ROUTE_QUEUES.get(body.priority, "the route queue (RouteQueue)")
        why = f": {body.reason}" if body.reason else ""
        return f"route {body.queue} → {queue} ({action.rule_id}){why}"
    if isinstance(body, AlertAction):
        return f"alert {body.topic} → the alerts topic ({action.rule_id}): {body.message}"
    if isinstance(body, UpdateProfileAction):
        fields = ", ".join(f"{k}: {json.dumps(v, default=str)}" for k, v in body.set.items())
        return f"update_profile ({action.rule_id}) → set {fields}"
    what = " ".join(str(v) for v in (action.kind, action.channel, action.content) if v)
    line = f"{what} ({action.rule_id}) → {status}"
    if status == Outcome.DEFERRED and send_at:
        line += f" until {local_time(send_at, timezone)}"
    return line + (f": {reason}" if reason else "")
