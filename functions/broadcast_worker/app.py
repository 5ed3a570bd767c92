"""broadcast_worker: the broadcast state machine's steps (plan, one scan segment's pages,
finish), invoked by Step Functions."""

from __future__ import annotations

from herald.observability import logger, metrics
from herald.service import broadcast
from herald.settings import settings

# Fail the cold start, not the first step, when the deployment is misconfigured.
settings().require(
    "rules_table",
    "contents_table",
    "customers_table",
    "messages_table",
    "settings_table",
    "counters_table",
    "segments_table",
    "send_queue_url",
)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context) -> dict:
    return broadcast.on_step(event, getattr(context, "get_remaining_time_in_millis", None))
