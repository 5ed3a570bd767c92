"""decide: EventBridge customer event → decision trace + queued messages + routes/alerts."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit

from herald.errors import BadEvent
from herald.observability import logger, metrics
from herald.service import decide
from herald.settings import settings

# Fail the cold start, not the first event, when the deployment is misconfigured.
settings().require(
    "rules_table",
    "contents_table",
    "customers_table",
    "messages_table",
    "settings_table",
    "send_queue_url",
    "decide_dlq_url",
)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context) -> dict:
    try:
        outcome = decide.handle_event(event)
    except BadEvent as exc:
        # Retrying can't fix a malformed event: park it with the reason and return normally.
        logger.warning("event rejected", reason=exc.message, field=exc.field)
        decide.dead_letter(event, exc.message)
        metrics.add_metric(name="EventsRejected", unit=MetricUnit.Count, value=1)
        return {"status": "rejected", "reason": exc.message}
    logger.info(
        "decided",
        event_id=outcome.event_id,
        replay=outcome.replay,
        queued=len(outcome.queued),
        deferred=len(outcome.deferred),
    )
    metrics.add_metric(name="EventsDecided", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="MessagesQueued", unit=MetricUnit.Count, value=len(outcome.queued))
    return {
        "status": "replay" if outcome.replay else "decided",
        "event_id": outcome.event_id,
        "queued": outcome.queued,
        "deferred": outcome.deferred,
    }
