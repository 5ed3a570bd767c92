"""``herald status``: is Herald healthy, and what needs a person? For a deployed or the local stack.

Reads, never writes: the dead-letter queues' depths, the rules that are paused, the stack's
last deploy and the last publish (from the audit trail), and the CloudWatch alarms of the stack
that are in ALARM. Exit code 0 when nothing needs attention, 1 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from herald_dev.target import Target

DLQS = {
    "send": "SendDLQ",
    "decide": "DecideDLQ",
    "feedback": "FeedbackDLQ",
    "feedback-retry": "FeedbackRetryDLQ",
    "counters": "CountersDLQ",
}
LIVE_CHANGES = ("publish", "rollback", "pause", "archive")


@dataclass
class Status:
    where: str
    deploy: str
    dlq_depths: dict[str, int] = field(default_factory=dict)
    paused: list[str] = field(default_factory=list)
    last_publish: str | None = None
    alarms: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.alarms and not any(self.dlq_depths.values())

    def lines(self) -> list[str]:
        depths = " · ".join(f"{name} {n}" for name, n in self.dlq_depths.items())
        waiting = [name for name, n in self.dlq_depths.items() if n]
        lines = [
            f"Herald: {self.where}",
            f"  last deploy:       {self.deploy}",
            f"  last publish:      {self.last_publish or 'nothing published yet'}",
            f"  dead-letter queues: {depths}"
            + (f"  → herald dlq inspect {waiting[0]}" if waiting else ""),
            f"  paused rules:      {', '.join(self.paused) if self.paused else 'none'}",
            f"  alarms in ALARM:   {'none' if not self.alarms else len(self.alarms)}",
        ]
        lines += [f"    {alarm}" for alarm in self.alarms]
        lines.append("healthy" if self.healthy else "needs attention")
        return lines


def collect(target: Target) -> Status:
    """The status of ``target`` (already :meth:`~Target.activate`-d)."""
    from herald.dal import audit, versions
    from herald.domain.version import State
    from herald_dev import dlq

    if target.kind == "local":
        deploy = "never (local stack: resources from template.yaml)"
    else:
        deploy = f"{target.deployed_at} ({target.stack_status})"
    status = Status(target.describe(), deploy)
    for name, logical_id in DLQS.items():
        url = target.physical.get(logical_id)
        if url:
            status.dlq_depths[name] = dlq.count(url)
    for head in sorted(versions.rules.heads(), key=lambda h: h.id):
        if head.state == State.PAUSED:
            since = f", since {head.updated_at} by {head.updated_by}" if head.updated_at else ""
            status.paused.append(f"{head.id} (v{head.published_version}{since})")
    latest = next((e for e in audit.search(limit=500) if e.action in LIVE_CHANGES), None)
    if latest is not None:
        status.last_publish = (
            f"{latest.entity} {latest.id} v{latest.to_version or latest.from_version} "
            f"({latest.action}) "
            f"by {latest.user} at {latest.at}"
        )
    status.alarms = _alarms_in_alarm(target)
    return status


def _alarms_in_alarm(target: Target) -> list[str]:
    from herald.aws.clients import client

    found = []
    paginator = client("cloudwatch").get_paginator("describe_alarms")
    prefix = f"herald-{target.stage}-"
    for page in paginator.paginate(AlarmNamePrefix=prefix, StateValue="ALARM"):
        for alarm in page.get("MetricAlarms", []):
            if alarm.get("StateValue") != "ALARM":  # moto ignores the filter with a prefix
                continue
            found.append(f"{alarm['AlarmName']}: {alarm.get('AlarmDescription') or ''}".strip())
    return found


def show(target: Target, echo: Callable[[str], None] = print) -> Status:
    target.activate()
    status = collect(target)
    for line in status.lines():
        echo(line)
    return status
