"""send: SQS batch of queued messages → SES / SNS, with partial batch responses."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from herald.errors import BadEvent, RetryableError
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


def record_handler(record: SQSRecord) -> None:
    # Hand-made events (sam local invoke -e) may lack the attribute SQS always sets.
    attempt = int(record.attributes.get("ApproximateReceiveCount") or 1)
    last = attempt >= settings().send_max_attempts
    try:
        result = send.handle(send.parse_body(record.body), last_attempt=last)
    except BadEvent as exc:
        logger.warning("record parked", reason=exc.message, sqs_message_id=record.message_id)
        send.dead_letter(record.body, exc.message)
        return
    except RetryableError as exc:
        if last:
            send.dead_letter(record.body, f"gave up after {attempt} attempts: {exc.message}")
            return
        raise  # reported as a batch item failure: SQS redelivers it after the visibility timeout
    logger.info("send", message_id=result.message_id, status=result.status, reason=result.reason)
    metrics.add_metric(name=f"Messages{result.status.capitalize()}", unit=MetricUnit.Count, value=1)


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context) -> dict:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
