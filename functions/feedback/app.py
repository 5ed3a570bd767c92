"""feedback: SES events (EventBridge) → outcomes on their messages, suppression; and the hourly
SMS opt-out sync (the counters and the guardrail follow from the stream: functions/counters)."""

from __future__ import annotations

from herald.event_sources import EVENTBRIDGE, only
from herald.observability import logger, metrics
from herald.service import outcomes
from herald.settings import settings

settings().require("customers_table", "suppression_table", "messages_table", "feedback_dlq_url")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@only(kinds=(EVENTBRIDGE,))
def lambda_handler(event: dict, context) -> dict:
    return outcomes.on_eventbridge(event)
