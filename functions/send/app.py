"""send: SQS batch of queued messages → SES / SNS, with partial batch responses."""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from herald.event_sources import SQS, only
from herald.observability import logger, metrics
from herald.service import send
from herald.settings import settings

settings().require(
    "messages_table",
    "customers_table",
    "contents_table",
    "settings_table",
    "send_dlq_url",
    "sender_email",
)
processor = BatchProcessor(event_type=EventType.SQS)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
@only(kinds=(SQS,))
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=send.on_record, processor=processor, context=context
    )
