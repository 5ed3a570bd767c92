"""SES events → outcomes: suppression first, then the message's outcome (its counters and the
guardrail follow from the messages table's stream: :mod:`herald.service.counting`).

Per event: hard bounces and complaints put the address on the suppression list (whether or not
Herald sent the mail); an event whose tags name a Herald message records its outcome, once
(:mod:`herald.dal.outcomes`: one conditional ``UpdateItem``, no read); mail Herald didn't send, or
whose message expired, is counted (metric ``OutcomesUnknownMessage``) and dropped. A malformed
event is parked on the feedback DLQ with its reason; throttling raises, and the retry counts
nothing twice.
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from herald.dal import outcomes
from herald.domain import ses_event
from herald.domain.event import BadEvent
from herald.domain.outcome import Outcome
from herald.observability import logger, metrics
from herald.service import dead_letters, feedback
from herald.settings import settings


def emit(channel: str, outcome: str) -> None:
    """The EMF metric ``Outcomes`` by channel and outcome (never by rule: custom-metric cost
    grows with every dimension value; per-rule figures live in the counters table). One SES
    event per invocation, so the dimensions are this event's."""
    for name, value in (("channel", channel), ("outcome", outcome)):
        metrics.dimension_set.pop(name, None)  # a warm container's previous event's
        metrics.add_dimension(name=name, value=value)
    metrics.add_metric(name="Outcomes", unit=MetricUnit.Count, value=1)


def handle_ses(envelope: dict) -> dict:
    """One SES event (EventBridge envelope): what became of it."""
    outcome = ses_event.parse(envelope)
    if outcome is None:
        return {"status": "ignored"}
    suppressed = feedback.apply(feedback.suppressions_of(outcome))
    result = record(outcome)
    result["suppressed"] = len(suppressed)
    return result


def record(outcome: Outcome) -> dict:
    """Record one outcome of a message (once; the stream counts it)."""
    ref = outcome.ref
    if ref is None:
        metrics.add_metric(name="OutcomesUnknownMessage", unit=MetricUnit.Count, value=1)
        return {"status": "unknown", "outcome": str(outcome.kind)}
    recorded = outcomes.record(ref, outcome.kind, outcome.at)
    if recorded == outcomes.Recorded.UNKNOWN:
        metrics.add_metric(name="OutcomesUnknownMessage", unit=MetricUnit.Count, value=1)
    elif recorded == outcomes.Recorded.DUPLICATE:
        metrics.add_metric(name="OutcomesDuplicate", unit=MetricUnit.Count, value=1)
    else:
        emit(ref.channel, str(outcome.kind))
    logger.info(
        "outcome",
        message_id=ref.message_id,
        rule_id=ref.rule_id,
        outcome=str(outcome.kind),
        recorded=str(recorded),
    )
    return {"status": str(recorded), "outcome": str(outcome.kind), "message_id": ref.message_id}


def on_eventbridge(envelope: dict) -> dict:
    """The feedback function's one call: an SES event, or the hourly opt-out sync. An event
    that can never be processed is parked on the feedback DLQ with the reason."""
    if envelope.get("detail-type") == "Scheduled Event":
        return feedback.on_schedule()
    try:
        if not ses_event.is_ses_event(envelope):
            raise BadEvent(f"not an SES event (source {str(envelope.get('source'))[:64]!r})")
        return handle_ses(envelope)
    except Exception as exc:  # noqa: BLE001 - one mapping re-raises (retry) or parks with the reason
        reason = dead_letters.retry_or_park(settings().feedback_dlq_url, envelope, exc)
        logger.warning("event parked", reason=reason, error=type(exc).__name__)
        metrics.add_metric(name="OutcomesRejected", unit=MetricUnit.Count, value=1)
        return {"status": "rejected", "reason": reason}
