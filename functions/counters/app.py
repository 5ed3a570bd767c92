"""counters: the messages table's stream → exposure, send and outcome counters (each change
counted once), then the auto-pause guardrail."""

from __future__ import annotations

from herald.event_sources import DYNAMODB, only
from herald.observability import logger, metrics
from herald.service import counting
from herald.settings import settings

settings().require("messages_table", "counters_table")


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@only(kinds=(DYNAMODB,))
def lambda_handler(event: dict, context) -> dict:
    return counting.on_stream(event)
