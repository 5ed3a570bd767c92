"""A rule whose condition would go over its evaluation budget on an event is skipped for that
event (its trace says so) and said once: one alert on the alerts topic per rule version,
however many events or containers meet it."""

from __future__ import annotations

from herald.aws import alerts
from herald.aws.clients import INFRASTRUCTURE_ERRORS, describe
from herald.dal import notices
from herald.domain.trace import Trace
from herald.observability import logger
from herald.runtime import register_cache

TOPIC = "rule-over-budget"


class _Said(set):
    pass


_said = register_cache(_Said())  # (rule id, version) this container has already handled


def after_decision(trace: Trace) -> None:
    for rule in trace.rules:
        if rule.code != "over_budget" or (rule.rule_id, rule.version) in _said:
            continue
        _said.add((rule.rule_id, rule.version))
        logger.warning(
            "rule over its evaluation budget: skipped for this event",
            rule_id=rule.rule_id,
            version=rule.version,
            event_id=trace.event_id,
        )
        try:
            if notices.first(f"{TOPIC}#{rule.rule_id}#{rule.version}"):
                alerts.publish(
                    TOPIC,
                    f"Rule {rule.rule_id} (version {rule.version}) is skipped on events where "
                    f"its condition would exceed the evaluation budget, first on event "
                    f"{trace.event_id}: {rule.error}. Simplify the condition or bound the "
                    "lists it goes over.",
                    rule_id=rule.rule_id,
                )
        except INFRASTRUCTURE_ERRORS as exc:  # the trace has it; the alert is a courtesy
            logger.error("over-budget alert not sent", rule_id=rule.rule_id, error=describe(exc))
