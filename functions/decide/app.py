"""decide: EventBridge customer event → decision trace + queued messages + routes/alerts."""

from __future__ import annotations

from herald.event_sources import EVENTBRIDGE, only
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
    "catalogue_table",
    "send_queue_url",
    "decide_dlq_url",
)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@only(kinds=(EVENTBRIDGE,))
def lambda_handler(event: dict, context) -> dict:
    # The envelope is read by the domain (herald.domain.event), not powertools' parser or data
    # classes: importing either costs this function 75-120 ms of cold start (see the README).
    return decide.on_eventbridge(event)
